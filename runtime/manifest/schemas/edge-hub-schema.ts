/**
 * The JSON Schemas edgemu owns for `$edgeHub` desired properties, schema 1.0–1.3 (draft-07),
 * from SchemaStore's `azure-iot-edgehub-deployment-1.x.json` and edgeHub's models
 * `EdgeHubDesiredProperties_1_0..1_3.cs`, `RouteSpec.cs`, `StoreAndForwardConfiguration.cs`
 * (learn.microsoft.com/azure/iot-edge/module-edgeagent-edgehub, "EdgeHub desired properties"):
 *  - 1.0: routes are strings only; 1.1+: a route may also be `{route, priority, timeToLiveSecs}`;
 *  - 1.2 adds `mqttBroker`, 1.3 adds `integrity`;
 *  - 1.1+ route names follow `^[^\.\$# ]+$`; unknown properties are closed off here and reported as
 *    warnings by compiled-schemas.ts (edgeHub's Json.NET reader ignores them).
 * `schemaVersion` is checked in code. `x-hint` annotates errors raised at that node.
 */

type Schema = Record<string, unknown>;

export function edgeHubSchema(minor: 0 | 1 | 2 | 3): Schema {
  const strict = minor >= 1;
  const closed = strict ? { additionalProperties: false } : {};

  const routeValue: Schema =
    minor === 0
      ? { type: 'string', 'x-hint': 'schema 1.0 only allows routes written as strings; use schemaVersion 1.1 for priority and timeToLiveSecs' }
      : {
          type: ['string', 'object'],
          required: ['route'],
          properties: {
            route: { type: 'string', minLength: 1, 'x-hint': 'route is "FROM <source> [WHERE <condition>] INTO <sink>"' },
            // RouteSpec.cs: priority 0 (highest) … 9
            priority: { type: 'integer', minimum: 0, maximum: 9, 'x-hint': 'priority is 0 (highest) to 9 (lowest)' },
            // RouteSpec.cs: timeToLiveSecs is a uint, 0 inherits the store-and-forward TTL
            timeToLiveSecs: { type: 'integer', minimum: 0, maximum: 4294967295, 'x-hint': 'timeToLiveSecs is 0 (inherit) or a number of seconds' },
          },
          additionalProperties: false,
        };

  const properties: Schema = {
    schemaVersion: {},
    routes: {
      type: 'object',
      propertyNames: strict
        ? { minLength: 1, pattern: '^[^\\.\\$# ]+$', 'x-hint': 'route names may not contain ".", "$", "#" or spaces' }
        : { minLength: 1 },
      additionalProperties: routeValue,
    },
    storeAndForwardConfiguration: {
      type: 'object',
      properties: {
        // negative means "keep forever" (StoreAndForwardConfiguration uses TimeSpan.MaxValue)
        timeToLiveSecs: { type: 'integer', minimum: -2147483648, maximum: 2147483647, 'x-hint': 'timeToLiveSecs is a whole number of seconds (negative keeps messages forever)' },
        storeLimits: {
          type: 'object',
          properties: { maxSizeBytes: { type: 'integer', minimum: 0 } },
          ...closed,
        },
      },
      ...closed,
    },
  };
  if (minor >= 2) {
    properties.mqttBroker = {
      type: 'object',
      properties: { bridges: { type: 'array' }, authorizations: { type: 'array' } },
      ...closed,
    };
  }
  if (minor >= 3) properties.integrity = { type: 'object' };

  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://edgemu.dev/schemas/edgehub-desired-1.${minor}.json`,
    type: 'object',
    required: ['schemaVersion', 'routes'],
    properties,
    ...closed,
  };
}
