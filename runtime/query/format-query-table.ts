/**
 * A query result as a text table for `edgemu query`: whole twins (`itemType` `twin`) as one line
 * per twin with its ids, status, connection state and tags; projections and aggregates (`raw`)
 * with one column per member, in order of first appearance. Objects are shown as compact JSON.
 */
export function formatQueryTable(itemType: string, items: readonly unknown[]): string {
  if (items.length === 0) return 'no results\n';
  const rows = items.map((item) => (typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as Record<string, unknown>) : { value: item }));
  let columns: string[];
  let cells: (row: Record<string, unknown>) => unknown[];
  if (itemType === 'twin') {
    const modules = rows.some((r) => r.moduleId !== undefined);
    columns = ['DEVICE', ...(modules ? ['MODULE'] : []), 'STATUS', 'CONNECTION', 'TAGS'];
    cells = (r) => [r.deviceId, ...(modules ? [r.moduleId] : []), r.status, r.connectionState, r.tags];
  } else {
    const names: string[] = [];
    for (const r of rows) for (const k of Object.keys(r)) if (!names.includes(k)) names.push(k);
    columns = names.map((n) => n.toUpperCase());
    cells = (r) => names.map((n) => r[n]);
  }
  const text = rows.map((r) => cells(r).map(cellText));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((row) => row[i]!.length)));
  const line = (values: readonly string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(columns), ...text.map(line)].join('\n')}\n`;
}

const cellText = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
