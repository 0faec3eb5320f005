import type { ServiceBackend } from './service-backend.js';
import type { RouteHandlers } from './start-service-api.js';
import { identityHandlers } from './identity-handlers.js';
import { twinHandlers } from './twin-handlers.js';
import { methodHandlers } from './method-handlers.js';
import { configurationHandlers } from './configuration-handlers.js';
import { telemetryHandlers } from './telemetry-handlers.js';
import { c2dHandlers } from './c2d-handlers.js';
import { queryHandlers } from './query-handlers.js';

/** Every route's handler over one backend (the type makes a missing route a compile error). */
export function createHandlers(backend: ServiceBackend, options: { maxStreams?: number } = {}): RouteHandlers {
  return {
    ...identityHandlers(backend),
    ...twinHandlers(backend),
    ...methodHandlers(backend),
    ...configurationHandlers(backend),
    ...telemetryHandlers(backend, options.maxStreams),
    ...c2dHandlers(backend),
    ...queryHandlers(backend),
  };
}
