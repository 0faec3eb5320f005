/**
 * The one way the app makes DOM: elements with attributes and children, where every string
 * becomes a text node. Nothing from the hub is ever parsed as HTML (no innerHTML anywhere).
 */
type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Array<Child | Child[]>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'value' && 'value' in el) (el as HTMLInputElement).value = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Array<Child | Child[]>): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces all children of `el`. */
export function replace(el: Node, ...children: Array<Child | Child[]>): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, children);
}

/** A table from a header row and body rows of text (the first row is the header). */
export function textTable(rows: readonly (readonly string[])[], rowProps?: (row: readonly string[], index: number) => Props, cell?: (value: string, column: number, row: readonly string[]) => Node | string): HTMLElement {
  const [head, ...body] = rows;
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, (head ?? []).map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        body.map((r, i) => h('tr', rowProps ? rowProps(r, i) : {}, r.map((c, j) => h('td', {}, cell ? cell(c, j, r) : c)))),
      ),
    ),
  );
}

/** JSON as indented text, bounded so a huge document cannot freeze the page. */
export function jsonText(value: unknown, max = 200_000): string {
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? 'undefined';
  } catch (error) {
    text = `(cannot show: ${(error as Error).message})`;
  }
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters not shown)` : text;
}
