import { ESLint } from 'eslint';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { entryFilesOf, TEMPORARY_DEEP_IMPORTS } from '../../../eslint-areas.js';
import { cyclesOf, importGraphOf, readTree, siblingFolderGraph } from '../../helpers/import-graph.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tree = (files: Record<string, string>) => importGraphOf(new Map(Object.entries(files)));

describe('the import graph walker', () => {
  it.each([
    ['a value import', "import { b } from './b.js';", "import { a } from './a.js';"],
    ['type-only imports', "import type { B } from './b.js';", "import type { A } from './a.js';"],
    ['a re-export', "export { b } from './b.js';", "export * from './a.js';"],
    ['a dynamic import', "const b = await import('./b.js');", "import { a } from './a.js';"],
  ])('sees a two-file cycle through %s', (_name, a, b) => {
    expect(cyclesOf(tree({ 'src/a.ts': a, 'src/b.ts': b }))).toEqual([['src/a.ts', 'src/b.ts']]);
  });

  it('sees a longer cycle across folders and ignores packages and a file importing itself', () => {
    const graph = tree({
      'src/x/a.ts': "import 'node:fs'; import { b } from '../y/b.js'; import { a } from './a.js';",
      'src/y/b.ts': "import { c } from '../z/index.js';",
      'src/z/index.ts': "import { a } from '../x/a.js';",
    });
    expect(cyclesOf(graph)).toEqual([['src/x/a.ts', 'src/y/b.ts', 'src/z/index.ts']]);
    expect(graph.get('src/x/a.ts')).toEqual(['src/y/b.ts']);
  });

  it('finds no cycle in a graph without one', () => {
    expect(cyclesOf(tree({ 'src/a.ts': "import './b.js'; import './c.js';", 'src/b.ts': "import './c.js';", 'src/c.ts': '' }))).toEqual([]);
  });

  it('sees a cycle between sibling folders even when the files form none', () => {
    const graph = tree({
      'rt/manifest/validate.ts': "import { parse } from '../routing/parser.js';",
      'rt/routing/parser.ts': '',
      'rt/routing/config.ts': "import { validate } from '../manifest/validate.js';",
    });
    expect(cyclesOf(graph)).toEqual([]);
    expect(cyclesOf(siblingFolderGraph(graph))).toEqual([['rt/manifest', 'rt/routing']]);
  });

  it('does not count a folder and its own subfolder, or files directly in a folder, as siblings', () => {
    const graph = tree({
      'rt/hub/errors.ts': '',
      'rt/hub/start.ts': "import './store/store.js';",
      'rt/hub/store/store.ts': "import '../errors.js';",
      'rt/clock.ts': '',
      'rt/agent/a.ts': "import '../clock.js'; import '../hub/start.js';",
    });
    expect(cyclesOf(siblingFolderGraph(graph))).toEqual([]);
    expect(siblingFolderGraph(graph).get('rt/agent')).toEqual(['rt/hub']);
  });
});

describe('runtime/ imports', () => {
  const graph = importGraphOf(readTree(root, 'runtime'));

  it('form no cycle between files (type-only imports included)', () => {
    expect(cyclesOf(graph)).toEqual([]);
  });

  it('form no cycle between sibling folders (areas, and folders inside an area)', () => {
    expect(cyclesOf(siblingFolderGraph(graph))).toEqual([]);
  });

  it('still need every temporary deep-import exception (remove an entry once its import goes through index.ts)', () => {
    const stale: string[] = [];
    for (const [file, targets] of Object.entries(TEMPORARY_DEEP_IMPORTS)) {
      for (const target of targets) {
        const [area, ...rest] = target.split('/');
        const imported = graph.get(`runtime/${file}`)?.includes(`runtime/${target}`) ?? false;
        if (!imported || entryFilesOf(area!).includes(rest.join('/'))) stale.push(`${file} → ${target}`);
      }
    }
    expect(stale).toEqual([]);
  });
});

describe('the area-boundary lint rule', () => {
  const eslint = new ESLint({ cwd: root });
  const lint = async (file: string, text: string) => {
    const [result] = await eslint.lintText(text, { filePath: path.join(root, file) });
    return result!.messages.filter((m) => m.ruleId === 'import-x/no-restricted-paths').map((m) => m.message);
  };

  it('lets an area import another through its index.ts (or its named entry file)', async () => {
    expect(await lint('runtime/agent/new-file.ts', "export { twinKeyProblem } from '../twin/index.js';\nexport { silentLogger } from '../log/create-logger.js';\n")).toEqual([]);
  }, 60_000);

  it('refuses an import past the index.ts of another area', async () => {
    expect(await lint('runtime/agent/new-file.ts', "export { TwinStore } from '../hub/store/twin-store.js';\n")).toEqual([
      'Unexpected path "../hub/store/twin-store.js" imported in restricted zone. import runtime/hub only through hub/index.ts (docs/architecture-rules.md)',
    ]);
  }, 60_000);

  it('allows deep imports inside an area', async () => {
    expect(await lint('runtime/hub/new-file.ts', "export { TwinStore } from './store/twin-store.js';\n")).toEqual([]);
  }, 60_000);
});
