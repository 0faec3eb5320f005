/**
 * Turns a child's output chunks into whole lines with a prefix (`sensor | …`), the way
 * docker-compose shows several services' logs together. A line is emitted once its newline
 * arrives; `flush` emits the unterminated tail when the stream ends. Very long lines without a
 * newline are cut at `maxLineLength` so a misbehaving module cannot grow memory without bound.
 */
export interface LinePrefixer {
  push(chunk: string): void;
  flush(): void;
}

export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;

export function createLinePrefixer(prefix: string, write: (line: string) => void, maxLineLength = DEFAULT_MAX_LINE_LENGTH): LinePrefixer {
  let pending = '';
  const emit = (line: string) => write(`${prefix}${line.endsWith('\r') ? line.slice(0, -1) : line}\n`);
  return {
    push(chunk) {
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        emit(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
      while (pending.length > maxLineLength) {
        emit(pending.slice(0, maxLineLength));
        pending = pending.slice(maxLineLength);
      }
    },
    flush() {
      if (pending.length > 0) emit(pending);
      pending = '';
    },
  };
}
