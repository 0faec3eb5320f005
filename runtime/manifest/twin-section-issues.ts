import { checkTwinSection } from '../twin/index.js';
import { pointer } from './json-pointer.js';

export interface TwinSectionIssue {
  /** JSON pointer into the manifest. */
  path: string;
  message: string;
}

/**
 * The twin rules (runtime/twin) applied to one module's desired properties in a manifest,
 * with each problem placed by JSON pointer under `base`. `label` names the module. Never throws.
 */
export function desiredSectionIssues(section: Record<string, unknown>, base: string, label: string): TwinSectionIssue[] {
  return checkTwinSection(section, 'desired', `the desired properties of ${label}`).map((p) => ({
    path: pointer(base, ...p.segments),
    message: p.code === 'string-too-long' ? `${p.message}; split createOptions into createOptions01, createOptions02, … chunks` : p.message,
  }));
}
