import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../runtime/manifest/index.js';

const root = path.resolve(import.meta.dirname, '../../../deployments');
const examples = readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).sort();
const invalid = readdirSync(path.join(root, 'invalid')).filter((f) => f.endsWith('.json')).sort();
const read = (dir: string, file: string) => parseManifestText(readFileSync(path.join(root, dir, file), 'utf8'));

const AGENT = '/modulesContent/$edgeAgent/properties.desired';
const HUB = '/modulesContent/$edgeHub/properties.desired';
const FILTER = `${AGENT}/modules/filter`;

/** Every deliberately broken manifest: the status IoT Edge would report and where the (first) problem is. */
const INVALID: Record<string, { status: number; path: string }> = {
  'agent-desired-empty.json': { status: 417, path: AGENT },
  'agent-section-missing.json': { status: 417, path: '/modulesContent/$edgeAgent' },
  'agent-schema-version-unsupported.json': { status: 412, path: `${AGENT}/schemaVersion` },
  'schema-version-beats-other-errors.json': { status: 412, path: `${AGENT}/schemaVersion` },
  'hub-schema-version-unsupported.json': { status: 400, path: `${HUB}/schemaVersion` },
  'hub-section-missing.json': { status: 400, path: '/modulesContent/$edgeHub' },
  'content-wrapper-module-type-not-docker.json': { status: 400, path: `/content${FILTER}/type` },
  'create-options-chunks-not-contiguous.json': { status: 400, path: `${FILTER}/settings/createOptions02` },
  'create-options-not-json.json': { status: 400, path: `${FILTER}/settings/createOptions` },
  'env-name-contains-equals.json': { status: 400, path: `${FILTER}/env/THRESHOLD=MAX` },
  'image-reference-invalid.json': { status: 400, path: `${FILTER}/settings/image` },
  'module-image-missing.json': { status: 400, path: `${FILTER}/settings/image` },
  'module-names-collide-in-kubernetes.json': { status: 400, path: `${AGENT}/modules/Filter` },
  'module-status-not-allowed.json': { status: 400, path: `${FILTER}/status` },
  'not-json.json': { status: 400, path: '' },
  'registry-credential-password-missing.json': { status: 400, path: `${AGENT}/runtime/settings/registryCredentials/contoso/password` },
  'route-object-in-schema-1.0.json': { status: 400, path: `${HUB}/routes/filterToIoTHub` },
  'route-priority-out-of-range.json': { status: 400, path: `${HUB}/routes/filterToIoTHub/priority` },
  'route-syntax-error.json': { status: 400, path: `${HUB}/routes/filterToIoTHub` },
  'startup-order-negative.json': { status: 400, path: `${FILTER}/startupOrder` },
  'system-module-name-in-modules.json': { status: 400, path: `${AGENT}/modules/edgeHub` },
  'twin-desired-over-32kb.json': { status: 400, path: '/modulesContent/filter/properties.desired' },
  'twin-key-contains-dot.json': { status: 400, path: '/modulesContent/filter/properties.desired/threshold.max' },
  'twin-nested-too-deep.json': {
    status: 400,
    path: '/modulesContent/filter/properties.desired/level1/level2/level3/level4/level5/level6/level7/level8/level9/level10/level11',
  },
  'property-name-case-differs.json': { status: 400, path: `${FILTER}/restartpolicy` },
};

describe('the example deployments in deployments/examples', () => {
  it('include the temperature-filter deployment npm start uses, and at least five in all', () => {
    expect(examples).toContain('temperature-filter.deployment.json');
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it.each(examples)('%s is valid and has no warnings', (file) => {
    const result = read('examples', file);
    expect(result.errors).toEqual([]);
    expect(result.status).toBe(200);
    expect(result.warnings).toEqual([]);
  });
});

describe('the broken deployments in deployments/invalid', () => {
  it('are all listed in the expectation table (and the table has no stale entries)', () => {
    expect(invalid).toEqual(Object.keys(INVALID).sort());
    expect(invalid.length).toBeGreaterThanOrEqual(10);
  });

  it.each(invalid)('%s is refused with the expected status and path', (file) => {
    const expected = INVALID[file]!;
    const result = read('invalid', file);
    expect(result.status).toBe(expected.status);
    expect(result.errors.map((e) => e.path)).toContain(expected.path);
    for (const e of result.errors) expect(e.message.length).toBeGreaterThan(10);
  });
});
