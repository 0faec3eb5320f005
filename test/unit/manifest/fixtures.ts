/** Builders for manifests used by the manifest tests: a small valid deployment to mutate. */
export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function agentDesired(): Json {
  return {
    schemaVersion: '1.1',
    runtime: { type: 'docker', settings: { minDockerVersion: 'v1.25', loggingOptions: '', registryCredentials: {} } },
    systemModules: {
      edgeAgent: { type: 'docker', settings: { image: 'mcr.microsoft.com/azureiotedge-agent:1.5', createOptions: '{}' } },
      edgeHub: { type: 'docker', status: 'running', restartPolicy: 'always', settings: { image: 'mcr.microsoft.com/azureiotedge-hub:1.5', createOptions: '{}' } },
    },
    modules: {
      sensor: {
        version: '1.0',
        type: 'docker',
        status: 'running',
        restartPolicy: 'always',
        startupOrder: 1,
        settings: { image: 'example/sensor:1.0', createOptions: '{}' },
        env: { INTERVAL: { value: '5' } },
      },
      filter: { type: 'docker', status: 'running', settings: { image: 'example/filter' } },
    },
  };
}

export function hubDesired(): Json {
  return {
    schemaVersion: '1.1',
    routes: {
      up: 'FROM /messages/modules/filter/outputs/* INTO $upstream',
      toFilter: { route: 'FROM /messages/modules/sensor/outputs/temp INTO BrokeredEndpoint("/modules/filter/inputs/in1")', priority: 0, timeToLiveSecs: 60 },
    },
    storeAndForwardConfiguration: { timeToLiveSecs: 7200 },
  };
}

export function manifest(): Json {
  return {
    modulesContent: {
      $edgeAgent: { 'properties.desired': agentDesired() },
      $edgeHub: { 'properties.desired': hubDesired() },
      filter: { 'properties.desired': { threshold: 30 } },
    },
  };
}

export const AGENT = '/modulesContent/$edgeAgent/properties.desired';
export const HUB = '/modulesContent/$edgeHub/properties.desired';
