/**
 * JSON pointers (RFC 6901) into the submitted document, so every validation issue names the
 * exact place a person has to edit. Segments are escaped (`~` → `~0`, `/` → `~1`, RFC 6901 §3).
 */
export function escapePointerSegment(segment: string | number): string {
  const text = String(segment);
  return text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text;
}

/** Appends unescaped segments to an already-escaped pointer (`''` is the whole document). */
export function pointer(base: string, ...segments: readonly (string | number)[]): string {
  let out = base;
  for (const s of segments) out += `/${escapePointerSegment(s)}`;
  return out;
}
