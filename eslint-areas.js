// The area boundaries of runtime/ for import-x/no-restricted-paths (see docs/architecture-rules.md).
// Each folder directly under runtime/ is an area; other areas import it only through its entry
// file(s). The files directly in runtime/ (clock.ts, errors.ts, index.ts) are shared by all.

/** Entry files of the areas that have no index.ts. */
const ENTRY_FILES = {
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
 * (importer → the files past an entry it still reaches). The coordinator empties this list as
 * the areas export what others need from their index.ts; add nothing to it.
 */
export const TEMPORARY_DEEP_IMPORTS = {
  'agent/agent-host.ts': ['hub/connection-string.ts', 'hub/store/hub-store.ts', 'manifest/model.ts', 'translate/translate-deployment.ts'],
  'cli/commands/translate.ts': ['translate/context-from-state.ts'],
  'cli/commands/up.ts': ['agent/describe-reported.ts', 'agent/up-cluster.ts', 'cluster/cluster-manager.ts', 'cluster/kube-config.ts', 'service-api/apply-configuration.ts'],
  'server/start-server.ts': ['agent/agent-host.ts', 'hub/connection-string.ts', 'hub/discovery.ts', 'hub/hub-address.ts', 'hub/start-hub.ts', 'hub/store/hub-store.ts', 'service-api/start-hub-service-api.ts'],
  'translate/labels.ts': ['manifest/k8s-name.ts'],
  'translate/map-create-options.ts': ['manifest/model.ts'],
  'translate/map-labels.ts': ['cluster/kwok-config.ts'],
  'translate/map-volumes.ts': ['manifest/k8s-name.ts'],
  'translate/registry-secrets.ts': ['manifest/image-reference.ts', 'manifest/model.ts'],
  'translate/translate-deployment.ts': ['manifest/image-reference.ts', 'manifest/k8s-name.ts', 'manifest/model.ts'],
  'translate/translate-inputs.ts': ['hub/identity-id.ts'],
};

/** ESLint config blocks: the boundary rule for all of runtime/, then one block per temporary exception. */
export function areaBoundaryConfigs(areas, exceptions = TEMPORARY_DEEP_IMPORTS) {
  const rule = (extra) => ({ 'import-x/no-restricted-paths': ['error', { zones: areaBoundaryZones(areas, extra) }] });
  return [
    { files: ['runtime/**/*.ts'], rules: rule([]) },
    ...Object.entries(exceptions).map(([file, extra]) => ({ files: [`runtime/${file}`], rules: rule(extra) })),
  ];
}
