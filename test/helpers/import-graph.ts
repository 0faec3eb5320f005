import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The import graph of a source tree, read with the TypeScript compiler's own import scanner
 * (`ts.preProcessFile`): static imports, `import type`, re-exports and `import()` all count — a
 * cycle of types is still a cycle of files. Only relative specifiers are followed (packages are
 * outside the tree); `./x.js` names `./x.ts` as in ESM TypeScript.
 */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** Builds the graph from `files` (path relative to the root, POSIX separators → source text). */
export function importGraphOf(files: ReadonlyMap<string, string>): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const [file, text] of files) {
    const targets = new Set<string>();
    for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const joined = path.posix.normalize(path.posix.join(path.posix.dirname(file), ref.fileName));
      const candidates = [joined.replace(/\.js$/, '.ts'), joined, `${joined}.ts`, `${joined}/index.ts`];
      const target = candidates.find((c) => files.has(c));
      if (target !== undefined && target !== file) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Reads every `.ts` file under `root` (paths in the result are relative to `base`). */
export function readTree(base: string, root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(base, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.set(rel, readFileSync(path.join(base, rel), 'utf8'));
    }
  };
  walk(root);
  return files;
}

/**
 * The strongly connected components with more than one node (Tarjan): each is a set of nodes
 * that all reach each other, i.e. one or more cycles. Sorted, for stable test output.
 */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/**
 * The graph between sibling folders: for every folder, an edge from child folder A to child
 * folder B when a file anywhere under A imports a file anywhere under B. Nodes are folder paths
 * (`runtime/hub`, `runtime/hub/store`). Files directly in a folder belong to no sibling node.
 */
export function siblingFolderGraph(graph: ImportGraph): Map<string, string[]> {
  const edges = new Map<string, Set<string>>();
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const a = from.split('/');
      const b = to.split('/');
      // the first differing segment below the common parent folder
      let i = 0;
      while (i < a.length - 1 && i < b.length - 1 && a[i] === b[i]) i++;
      // both sides must be folders at that level (not a file directly in the parent)
      if (i >= a.length - 1 || i >= b.length - 1) continue;
      const folderA = a.slice(0, i + 1).join('/');
      const folderB = b.slice(0, i + 1).join('/');
      if (!edges.has(folderA)) edges.set(folderA, new Set());
      edges.get(folderA)!.add(folderB);
    }
  }
  return new Map([...edges].map(([k, v]) => [k, [...v].sort()]));
}
