// The area boundaries of runtime/ for import-x/no-restricted-paths (see docs/architecture-rules.md).
// Each folder directly under runtime/ is an area; other areas import it only through its entry
// file(s). The files directly in runtime/ (clock.ts, errors.ts, index.ts) are shared by all.

/** Entry files of the areas that have no index.ts, or a second one beside it (docs/architecture-rules.md). */
const ENTRY_FILES = {
  cluster: ['index.ts', 'cli-options.ts'],
  log: ['create-logger.ts'],
  server: ['start-server.ts'],
  cli: ['main.ts'],
};

/** The entry files of `area` (relative to its folder). */
export const entryFilesOf = (area) => ENTRY_FILES[area] ?? ['index.ts'];

/**
 * One zone per area: files outside it may import only its entry files. `extraAllowed` lists
 * further files (`hub/start-hub.ts`) a particular importer may still reach (temporary exceptions).
 */
export function areaBoundaryZones(areas, extraAllowed = []) {
  return areas.map((area) => {
    const entries = entryFilesOf(area);
    const extra = extraAllowed.filter((p) => p.startsWith(`${area}/`)).map((p) => `./${p.slice(area.length + 1)}`);
    return {
      target: `./runtime/!(${area})/**/*`,
      from: `./runtime/${area}`,
      except: [...entries.map((f) => `./${f}`), ...extra],
      message: `import runtime/${area} only through ${entries.map((f) => `${area}/${f}`).join(' or ')} (docs/architecture-rules.md)`,
    };
  });
}

/**
 * TEMPORARY exceptions: deep imports across areas that existed when the rule was switched on
 * (importer → the files past an entry it still reaches). Empty now: every cross-area import goes
 * through the other area's index.ts. Add nothing to it; export from the index instead.
 */
export const TEMPORARY_DEEP_IMPORTS = {
};

/** ESLint config blocks: the boundary rule for all of runtime/, then one block per temporary exception. */
export function areaBoundaryConfigs(areas, exceptions = TEMPORARY_DEEP_IMPORTS) {
  const rule = (extra) => ({ 'import-x/no-restricted-paths': ['error', { zones: areaBoundaryZones(areas, extra) }] });
  return [
    { files: ['runtime/**/*.ts'], rules: rule([]) },
    ...Object.entries(exceptions).map(([file, extra]) => ({ files: [`runtime/${file}`], rules: rule(extra) })),
  ];
}
