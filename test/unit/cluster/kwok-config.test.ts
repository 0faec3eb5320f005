import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { EDGEMU_STAGE_FILE, EXIT_CODE_ANNOTATION, SIMULATE_LABEL, SIMULATE_MODES, fakeNode, renderKwokConfig } from '../../../runtime/cluster/kwok-config.js';

interface Stage {
  kind: string;
  metadata: { name: string };
  spec: { resourceRef: { kind: string }; selector: { matchExpressions: { key: string; operator: string; values?: string[] }[] }; next: { statusTemplate?: string } };
}
const stages = parseAllDocuments(readFileSync(EDGEMU_STAGE_FILE, 'utf8')).map((d) => d.toJS() as Stage);

describe('edgemu’s simulation stages', () => {
  it('are valid YAML Stage documents for pods', () => {
    expect(stages.map((s) => s.metadata.name)).toEqual(['edgemu-crash-loop', 'edgemu-crash-once', 'edgemu-restart', 'edgemu-fail', 'edgemu-volume-helper-complete']);
    for (const s of stages) {
      expect(s.kind).toBe('Stage');
      expect(s.spec.resourceRef.kind).toBe('Pod');
    }
  });

  it('are opt-in: every stage selects on a documented label, and never on a pod being deleted', () => {
    for (const s of stages) {
      const keys = s.spec.selector.matchExpressions.map((e) => e.key);
      expect(keys).toContain(s.metadata.name === 'edgemu-volume-helper-complete' ? '.metadata.labels["edgemu.io/volume-helper"]' : `.metadata.labels["${SIMULATE_LABEL}"]`);
      expect(keys).toContain('.metadata.deletionTimestamp');
    }
  });

  it('cover exactly the documented modes', () => {
    const values = new Set(stages.flatMap((s) => s.spec.selector.matchExpressions.filter((e) => e.key.includes(SIMULATE_LABEL)).flatMap((e) => e.values ?? [])));
    expect([...values].sort()).toEqual([...SIMULATE_MODES].sort());
  });

  it('read the exit code from the documented annotation', () => {
    for (const name of ['edgemu-crash-loop', 'edgemu-crash-once', 'edgemu-fail']) {
      expect(stages.find((s) => s.metadata.name === name)?.spec.next.statusTemplate).toContain(`index $ann "${EXIT_CODE_ANNOTATION}"`);
    }
  });

  it('never select on numeric fields (KWOK compares JSON numbers as float64)', () => {
    for (const s of stages) for (const e of s.spec.selector.matchExpressions) expect(e.key).not.toMatch(/restartCount|exitCode/);
  });
});

describe('the kwok config file', () => {
  it('concatenates stage files as YAML documents, dropping leading separators and blank ones', () => {
    const text = renderKwokConfig(['---\nkind: Stage\nmetadata: {name: a}\n', '', 'kind: Stage\nmetadata: {name: b}\n---\nkind: Stage\nmetadata: {name: c}\n']);
    expect(parseAllDocuments(text).map((d) => (d.toJS() as Stage).metadata.name)).toEqual(['a', 'b', 'c']);
  });

  it('contains no KwokConfiguration (its empty options would zero kwok’s defaults)', () => {
    expect(renderKwokConfig([readFileSync(EDGEMU_STAGE_FILE, 'utf8')])).not.toContain('KwokConfiguration');
  });
});

describe('the fake node', () => {
  it('is untainted, annotated for KWOK and has capacity for pods', () => {
    const node = fakeNode('kwok-node-0') as { metadata: { annotations: Record<string, string> }; spec?: { taints?: unknown[] }; status: { allocatable: { pods: string } } };
    expect(node.metadata.annotations['kwok.x-k8s.io/node']).toBe('fake');
    expect(node.spec?.taints).toBeUndefined();
    expect(Number(node.status.allocatable.pods)).toBeGreaterThan(10);
  });
});
