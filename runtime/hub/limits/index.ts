/** Limits against slow, stalled and greedy peers (docs/hub.md "Limits"). */
export { guardTlsServer, type TlsServerGuard, type TlsServerLimits } from './guard-tls-server.js';
export { RateLimiter } from './token-bucket.js';
export { DEFAULT_HUB_LIMITS, THROTTLED_ERROR_CODE, resolveHubLimits, createHubThrottles, type HubLimits, type HubThrottles } from './hub-limits.js';
