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

