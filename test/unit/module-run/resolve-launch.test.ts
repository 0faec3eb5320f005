import { describe, expect, it } from 'vitest';
import { resolveLaunch, type PathKind } from '../../../runtime/module-run/index.js';

const ctx = { node: '/usr/bin/node', runTs: '/edgemu/bin/run-ts.js', cwd: '/work' };
const fsWith = (entries: Record<string, PathKind>) => ({ kind: (p: string): PathKind => entries[p] ?? 'missing' });

describe('resolveLaunch', () => {
  it.each([
    ['modules/filter/index.ts', { '/work/modules/filter/index.ts': 'file' }, ['/usr/bin/node', ['/edgemu/bin/run-ts.js', '/work/modules/filter/index.ts', '-x'], 'typescript']],
    ['app.mts', { '/work/app.mts': 'file' }, ['/usr/bin/node', ['/edgemu/bin/run-ts.js', '/work/app.mts', '-x'], 'typescript']],
    ['/abs/app.js', { '/abs/app.js': 'file' }, ['/usr/bin/node', ['/abs/app.js', '-x'], 'javascript']],
    ['app.cjs', { '/work/app.cjs': 'file' }, ['/usr/bin/node', ['/work/app.cjs', '-x'], 'javascript']],
    ['./run.sh', { '/work/run.sh': 'file' }, ['/work/run.sh', ['-x'], 'command']],
    ['python3', {}, ['python3', ['-x'], 'command']],
  ] as const)('starts %s as expected', (target, entries, [file, args, how]) => {
    expect(resolveLaunch(target, ['-x'], ctx, fsWith(entries))).toEqual({ file, args, how });
  });

  it('runs the index.ts of a module folder through tsx', () => {
    const launch = resolveLaunch('modules/echo', [], ctx, fsWith({ '/work/modules/echo': 'directory', '/work/modules/echo/index.ts': 'file' }));
    expect(launch).toEqual({ file: '/usr/bin/node', args: ['/edgemu/bin/run-ts.js', '/work/modules/echo/index.ts'], how: 'typescript' });
  });

  it('prefers index.ts over index.js in a folder', () => {
    const launch = resolveLaunch('m', [], ctx, fsWith({ '/work/m': 'directory', '/work/m/index.js': 'file', '/work/m/index.ts': 'file' }));
    expect(launch.args[1]).toBe('/work/m/index.ts');
  });

  it('falls back to index.js in a folder without TypeScript', () => {
    const launch = resolveLaunch('m', [], ctx, fsWith({ '/work/m': 'directory', '/work/m/index.js': 'file' }));
    expect(launch).toEqual({ file: '/usr/bin/node', args: ['/work/m/index.js'], how: 'javascript' });
  });

  it('puts Node.js options before the script of .ts and .js programs', () => {
    const withOptions = { ...ctx, nodeOptions: ['--inspect=9230', '--enable-source-maps'] };
    const entries = fsWith({ '/work/m.ts': 'file', '/work/m.js': 'file' });
    expect(resolveLaunch('m.ts', ['a'], withOptions, entries).args).toEqual(['--inspect=9230', '--enable-source-maps', '/edgemu/bin/run-ts.js', '/work/m.ts', 'a']);
    expect(resolveLaunch('m.js', ['a'], withOptions, entries).args).toEqual(['--inspect=9230', '--enable-source-maps', '/work/m.js', 'a']);
  });

  it.each([
    ['a bare command', 'python3', {}],
    ['an executable file', './run.sh', { '/work/run.sh': 'file' }],
  ] as const)('refuses Node.js options for %s with a usage error', (_what, target, entries) => {
    expect(() => resolveLaunch(target, [], { ...ctx, nodeOptions: ['--inspect'] }, fsWith(entries))).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it.each([
    ['a folder without an entry point', 'empty', { '/work/empty': 'directory' }, /no entry point/],
    ['a missing relative path', './missing/index.ts', {}, /does not exist/],
    ['a missing .ts file without a slash', 'missing.ts', {}, /does not exist/],
    ['an empty PATH', ' ', {}, /empty/],
  ] as const)('refuses %s with MODULE_RUN_PATH_NOT_FOUND', (_what, target, entries, message) => {
    expect(() => resolveLaunch(target, [], ctx, fsWith(entries))).toThrow(expect.objectContaining({ code: 'MODULE_RUN_PATH_NOT_FOUND', message: expect.stringMatching(message) }));
  });
});
