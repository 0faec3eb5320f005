import type { EdgeAgentConfig, ModuleSpec } from '../../runtime/manifest/model.js';

/** Builders of validated `$edgeAgent` configurations (a module spec with IoT Edge's defaults, overridable per test) for the agent and translate tests. */
export const spec = (name: string, patch: Partial<ModuleSpec> = {}): ModuleSpec => ({
  name,
  type: 'docker',
  version: '1.0',
  status: 'running',
  restartPolicy: 'always',
  imagePullPolicy: 'on-create',
  startupOrder: 4294967295,
  image: `example/${name.toLowerCase()}:1.0`,
  createOptions: {},
  createOptionsRaw: '{}',
  env: {},
  ...patch,
});

const system = (name: string): ModuleSpec => spec(name, { image: `mcr.microsoft.com/azureiotedge-${name === 'edgeAgent' ? 'agent' : 'hub'}:1.5`, startupOrder: 0 });

export const agent = (modules: ModuleSpec[], registryCredentials: EdgeAgentConfig['runtime']['registryCredentials'] = []): EdgeAgentConfig => ({
  schemaVersion: '1.1',
  runtime: { type: 'docker', minDockerVersion: 'v1.25', loggingOptions: '', registryCredentials },
  systemModules: { edgeAgent: system('edgeAgent'), edgeHub: system('edgeHub') },
  modules: [...modules].sort((a, b) => (a.name < b.name ? -1 : 1)),
});


/** One module of a deployment manifest as IoT Edge writes it (`settings.image`, `createOptions` as a string). */
export const manifestModule = (name: string, patch: Record<string, unknown> = {}): Record<string, unknown> => ({
  version: '1.0',
  type: 'docker',
  status: 'running',
  restartPolicy: 'always',
  settings: { image: `example/${name.toLowerCase()}:1.0`, createOptions: '{}' },
  ...patch,
});

/**
 * A deployment manifest (`{ modulesContent }`, learn.microsoft.com/azure/iot-edge/module-composition)
 * with IoT Edge 1.5's system modules, the given modules (default {@link manifestModule} each)
 * and routes, as `edgemu up --deployment` and `edgemu deployment create --content` read it.
 */
export function deploymentManifest(modules: Record<string, Record<string, unknown>> | readonly string[], routes: Record<string, string> = {}): { modulesContent: Record<string, Record<string, unknown>> } {
  const byName = Array.isArray(modules) ? Object.fromEntries(modules.map((n: string) => [n, manifestModule(n)])) : modules;
  return {
    modulesContent: {
      $edgeAgent: {
        'properties.desired': {
          schemaVersion: '1.1',
          runtime: { type: 'docker', settings: {} },
          systemModules: {
            edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5', createOptions: '{}' } },
            edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5', createOptions: '{}' } },
          },
          modules: byName,
        },
      },
      $edgeHub: { 'properties.desired': { schemaVersion: '1.1', routes, storeAndForwardConfiguration: { timeToLiveSecs: 7200 } } },
    },
  };
}
