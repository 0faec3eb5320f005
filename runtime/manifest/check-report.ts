import { basename } from 'node:path';
import type { DeploymentStatusCode } from './model.js';
import type { FileValidationReport } from './manifest-file.js';

/**
 * The pure half of `edgemu check DIR…` (docs/manifest.md "Checking a directory of manifests"):
 * reading an expectation file, deciding what fails the run, and the human output. The command
 * (runtime/cli/commands/check.ts) reads files, translates and talks to the API server.
 */

/** One object the API server refused in the server-side dry run. */
export interface DryRunRejection {
  /** `Kind/name`. */
  object: string;
  /** HTTP status of the refusal (422 invalid, 400 bad request, …), 0 when no answer came. */
  status: number;
  /** The API server's message (causes included). */
  reason: string;
}

export interface CheckEntry {
  report: FileValidationReport;
  /** The status the expectation file gives this file, when it names it. */
  expected?: DeploymentStatusCode;
  /** With --translate: the translation's outcome for a valid deployment. */
  translation?: { ok: true; objects: number; warnings: string[] } | { ok: false; message: string };
  /** With --dry-run: the objects the API server refused (empty: all accepted). */
  dryRun?: DryRunRejection[];
}

const STATUSES: readonly number[] = [200, 400, 406, 412, 417, 500];

/**
 * An expectation file is a JSON object from a manifest's file name (as listed, or its base
 * name) to the status IoT Edge gives it: `{"good.json": 200, "broken.json": 400}`. Throws a
 * plain Error naming the fix when the text is not such an object.
 */
export function parseExpectations(text: string): Map<string, DeploymentStatusCode> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new Error(`the expectation file is not JSON (${(error as Error).message}); write {"file.json": 200, …}`, { cause: error });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('the expectation file must be a JSON object such as {"file.json": 200, "other.json": 400}');
  const map = new Map<string, DeploymentStatusCode>();
  for (const [file, status] of Object.entries(doc)) {
    if (typeof status !== 'number' || !STATUSES.includes(status)) {
      throw new Error(`the expectation for ${JSON.stringify(file)} must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
    }
    map.set(file, status as DeploymentStatusCode);
  }
  return map;
}

/** The expectation for `file`: by the name as listed, else by its base name. */
export function expectationFor(expectations: ReadonlyMap<string, DeploymentStatusCode>, file: string): DeploymentStatusCode | undefined {
  return expectations.get(file) ?? expectations.get(basename(file));
}

/** Why one entry fails the run, or nothing when it passes. */
export function entryFailures(entry: CheckEntry): string[] {
  const failures: string[] = [];
  if (entry.expected !== undefined && entry.expected !== entry.report.status) failures.push(`expected status ${entry.expected}, IoT Edge would report ${entry.report.status}`);
  if (entry.translation && !entry.translation.ok) failures.push(`translation failed: ${entry.translation.message}`);
  for (const r of entry.dryRun ?? []) failures.push(`API server rejects ${r.object}${r.status ? ` (${r.status})` : ''}: ${r.reason}`);
  return failures;
}

/** Human output: per file its verdict, problems, warnings and failures; then a summary line. */
export function formatCheck(entries: readonly CheckEntry[]): string {
  const lines: string[] = [];
  for (const entry of entries) {
    const { report } = entry;
    const kind = report.kind === 'layer' ? ' (layered deployment content)' : '';
    const dry = entry.dryRun === undefined ? '' : entry.dryRun.length === 0 ? ', dry run accepted' : `, dry run: ${entry.dryRun.length} rejected`;
    const translated = entry.translation?.ok ? `, ${entry.translation.objects} objects` : '';
    lines.push(`${report.file}: ${report.status}${kind}${translated}${dry}`);
    for (const e of report.errors) lines.push(`  error   ${e.path === '' ? '(document)' : e.path}: ${e.message}`);
    for (const w of report.warnings) lines.push(`  warning ${w}`);
    if (entry.translation?.ok) for (const w of entry.translation.warnings) lines.push(`  translate warning ${w}`);
    for (const f of entryFailures(entry)) lines.push(`  FAIL    ${f}`);
  }
  const counts = new Map<number, number>();
  for (const e of entries) counts.set(e.report.status, (counts.get(e.report.status) ?? 0) + 1);
  const byStatus = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${n}×${s}`).join(', ');
  const failed = entries.filter((e) => entryFailures(e).length > 0).length;
  lines.push(`${entries.length} manifest${entries.length === 1 ? '' : 's'}: ${byStatus || 'none'}; ${failed} failing`);
  return `${lines.join('\n')}\n`;
}
