import type { FileValidationReport } from './manifest-file.js';

/**
 * Human output of `edgemu validate` for one file: a verdict line, then every problem with its
 * JSON pointer, then warnings. Pure, so the wording is unit-tested.
 */
export function formatReport(report: FileValidationReport): string {
  const lines: string[] = [];
  if (report.valid) lines.push(`${report.file}: valid`);
  else lines.push(`${report.file}: invalid (status ${report.status}, ${report.errors.length} problem${report.errors.length === 1 ? '' : 's'})`);
  for (const e of report.errors) lines.push(`  error   ${e.path === '' ? '(document)' : e.path}: ${e.message}`);
  for (const w of report.warnings) lines.push(`  warning ${w}`);
  return `${lines.join('\n')}\n`;
}
