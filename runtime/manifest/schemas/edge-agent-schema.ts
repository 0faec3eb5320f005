/**
 * The JSON Schemas edgemu owns for `$edgeAgent` desired properties, schema 1.0 and 1.1
 * (draft-07). Modelled on SchemaStore's `azure-iot-edgeagent-deployment-1.0.json` /
 * `-1.1.json` and the agent's model classes (learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub), with two
 * deliberate choices:
 *  - `restartPolicy` is optional for user modules and edgeHub: the agent's code defaults it
 *    (`on-unhealthy` / `always`), and the model applies those defaults;
 *  - 1.1 closes every object (SchemaStore 1.1 `additionalProperties:false`), but compiled-schemas.ts
 *    turns each unknown member into a warning: edgeAgent's Json.NET reader ignores them,
 *    1.0 tolerates them (the agent's deserializer ignores unknown members).
 * `schemaVersion` itself is checked in code (a wrong value is a 412, not a 400).
 * `x-hint` is an annotation keyword: text appended to errors raised at that schema node.
 */

type Schema = Record<string, unknown>;

const RESTART_POLICIES = ['never', 'on-failure', 'on-unhealthy', 'always'];
const IMAGE_PULL_POLICIES = ['on-create', 'never'];
const STATUSES = ['running', 'stopped'];

/** Twin-key style names used by 1.1 for registry credentials (`^[^\.\$# ]+$`). */
const TWIN_NAME_PATTERN = '^[^\\.\\$# ]+$';

export function edgeAgentSchema(strict: boolean): Schema {
  const closed = strict ? { additionalProperties: false } : {};

  const settings: Schema = {
    type: 'object',
    required: ['image'],
    properties: {
      // Agent.Docker/DockerConfig.cs reads "digest" too (a pinned image digest)
      digest: { type: ['string', 'null'] },
      image: {
        type: 'string',
        minLength: 1,
        'x-hint': 'give the container image, e.g. "mcr.microsoft.com/azureiotedge-simulated-temperature-sensor:1.5"',
      },
    },
    // createOptions may be split into chunks createOptions, createOptions01, … (JsonEx.ChunkedProperty)
    // a chunk may be any JSON value: edgeAgent joins each chunk's text (DockerConfigJsonConverter in
    // Agent.Docker/DockerConfig.cs), so an object works; create-options.ts judges the joined text
    patternProperties: { '^(createoptions|createOptions)[0-9]*$': {} },
    ...closed,
  };

  const env: Schema = {
    type: 'object',
    additionalProperties: {
      type: 'object',
      // EnvVal(string value): a missing or null value becomes "" (Agent.Core/EnvVal.cs); objects and arrays cannot become a string
      properties: { value: { type: ['string', 'number', 'boolean', 'null'], 'x-hint': 'write env values as {"value": "..."}' } },
      ...closed,
    },
  };

  const startupOrder: Schema = { type: 'integer', minimum: 0, maximum: 4294967295, 'x-hint': 'startupOrder is an integer from 0 to 4294967295' };
  const configuration: Schema = { type: 'object', properties: { id: { type: 'string' } } };

  const edgeAgent: Schema = {
    type: 'object',
    required: ['type', 'settings'],
    properties: {
      type: { const: 'docker' },
      settings,
      env,
      imagePullPolicy: { enum: IMAGE_PULL_POLICIES },
      configuration,
    },
    ...closed,
  };

  const edgeHub: Schema = {
    type: 'object',
    required: ['type', 'status', 'settings'],
    properties: {
      type: { const: 'docker' },
      status: { enum: STATUSES },
      restartPolicy: { enum: RESTART_POLICIES },
      imagePullPolicy: { enum: IMAGE_PULL_POLICIES },
      startupOrder,
      settings,
      env,
      configuration,
    },
    ...closed,
  };

  const userModule: Schema = {
    type: 'object',
    required: ['type', 'status', 'settings'],
    properties: {
      version: { type: 'string', 'x-hint': 'version is free text such as "1.0"' },
      type: { const: 'docker' },
      status: { enum: STATUSES },
      restartPolicy: { enum: RESTART_POLICIES },
      imagePullPolicy: { enum: IMAGE_PULL_POLICIES },
      startupOrder,
      settings,
      env,
      configuration,
    },
    ...closed,
  };

  const registryCredential: Schema = {
    type: 'object',
    required: ['username', 'password', 'address'],
    // RegistryCredentials(string address, string username, string password) with Preconditions.CheckNonWhiteSpace
    // (Agent.Docker/RegistryCredentials.cs): Json.NET turns a number into its text; empty or blank is refused
    properties: {
      username: { type: ['string', 'number'], pattern: '\\S', 'x-hint': 'username must not be empty or blank' },
      password: { type: ['string', 'number'], pattern: '\\S', 'x-hint': 'password must not be empty or blank' },
      address: { type: ['string', 'number'], pattern: '\\S', 'x-hint': 'address is a registry host such as "myregistry.azurecr.io"' },
    },
    ...closed,
  };

  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://edgemu.dev/schemas/edgeagent-desired-${strict ? '1.1' : '1.0'}.json`,
    type: 'object',
    required: ['schemaVersion', 'runtime', 'systemModules'],
    properties: {
      schemaVersion: {},
      runtime: {
        type: 'object',
        required: ['type', 'settings'],
        properties: {
          type: { const: 'docker' },
          settings: {
            type: 'object',
            properties: {
              minDockerVersion: { type: 'string' },
              loggingOptions: { type: 'string' },
              registryCredentials: {
                type: 'object',
                propertyNames: strict
                  ? { minLength: 1, pattern: TWIN_NAME_PATTERN, 'x-hint': 'registry credential names may not contain ".", "$", "#" or spaces' }
                  : { minLength: 1 },
                additionalProperties: registryCredential,
              },
            },
            ...closed,
          },
        },
        ...closed,
      },
      systemModules: {
        type: 'object',
        required: ['edgeAgent', 'edgeHub'],
        properties: { edgeAgent, edgeHub },
        ...closed,
      },
      modules: {
        type: 'object',
        // Module ids: the modules patternProperties of json.schemastore.org/azure-iot-edge-deployment-2.0.json; IoT Hub module ids are at most 128 chars.
        propertyNames: {
          pattern: '^[a-zA-Z0-9_-]+$',
          maxLength: 128,
          'x-hint': 'module names use letters, digits, "_" and "-" only (at most 128 characters)',
        },
        additionalProperties: userModule,
      },
      integrity: { type: 'object' },
    },
    ...closed,
  };
}
