/** The numeric leaves of a JSON body as dotted paths (`machine.temperature`), at most `maxDepth` deep and `maxFields` many. Pure. */
export function numericFields(body: unknown, maxDepth = 4, maxFields = 50): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (v: unknown, path: string, depth: number) => {
    if (out.size >= maxFields) return;
    if (typeof v === 'number' && Number.isFinite(v)) out.set(path, v);
    else if (typeof v === 'object' && v !== null && !Array.isArray(v) && depth < maxDepth) {
      for (const [k, child] of Object.entries(v)) walk(child, path === '' ? k : `${path}.${k}`, depth + 1);
    }
  };
  walk(body, '', 0);
  return out;
}
