import { stringify } from 'yaml';
import type { TranslatedObject } from './translate-deployment.js';

/** Output formats of `edgemu translate`. */
export type RenderFormat = 'yaml' | 'json';

/**
 * Objects as text `kubectl apply -f -` takes: multi-document YAML (`---` between documents) or
 * a `v1` `List` as JSON. Deterministic: key order is the objects' own, no timestamps.
 */
export function renderObjects(objects: readonly TranslatedObject[], format: RenderFormat): string {
  if (format === 'json') return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
  // lineWidth 0: never fold long strings (PEM, base64). YAML 1.1 quoting: kubectl's parser is
  // YAML 1.1, where unquoted 2022-08-03, yes, on would not stay strings.
  return objects.map((o) => stringify(o, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
