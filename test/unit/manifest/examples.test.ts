import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../runtime/manifest/index.js';

const dir = path.resolve(import.meta.dirname, '../../../deployments/examples');
const examples = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('the example deployments in deployments/examples', () => {
  it('include the temperature-filter deployment npm start uses', () => {
    expect(examples).toContain('temperature-filter.deployment.json');
  });

  it.each(examples)('%s is valid and has no warnings', (file) => {
    const result = parseManifestText(readFileSync(path.join(dir, file), 'utf8'));
    expect(result.errors).toEqual([]);
    expect(result.status).toBe(200);
    expect(result.warnings).toEqual([]);
  });
});
