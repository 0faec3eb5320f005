import type { Clock } from '../../clock.js';
import { RateLimiter } from './token-bucket.js';

/**
 * What the hub allows one peer, so that slow, stalled or greedy clients cannot exhaust it
 * (docs/hub.md "Limits" lists each number and what the client sees).
 */
export interface HubLimits {
  /** A TLS handshake not finished within this many ms is closed (default 10 s). */
  handshakeTimeoutMs: number;
  /** Most connections one MQTT listener holds, handshaking ones included (default 10,000). */
  maxConnections: number;
  /**
   * Most bytes of answers and deliveries waiting unread in one connection's write buffer; a
   * client that lets more pile up is disconnected (default 4 MiB — 16 messages of IoT Hub's
   * 256 KB maximum).
   */
  writeBufferBytes: number;
  /**
   * Longest MQTT keep-alive honoured, in seconds: a CONNECT asking for more, or for none (0),
   * gets this one (default 1177 s — the server then closes a silent connection after 1.5 ×
   * 1177 ≈ 1767 s, IoT Hub's maximum: learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub).
   */
  maxKeepAliveSecs: number;
  /**
   * An AMQP connection that has not put a valid token on `$cbs` within this many ms of its TLS
   * handshake is closed with `amqp:unauthorized-access` (default 30 s, as long as MQTT waits for
   * CONNECT): a stalled or silent peer cannot hold a connection.
   */
  authTimeoutMs: number;
  /** Twin GETs per second per identity (burst: the same number); more are answered 429 (default 100). */
  twinGetsPerSecond: number;
  /** Direct method calls per second per target identity; more are answered 429 (default 100). */
  methodCallsPerSecond: number;
  /** C2D sends per second per device; more are answered 429 (default 100). */
  c2dSendsPerSecond: number;
  /** CONNECTs per second per identity; more are refused with CONNACK 3, server unavailable (default 10, burst 20). */
  connectsPerSecond: number;
}

/**
 * Defaults. IoT Hub's own S1 numbers are hub-wide (twin reads 100/s, direct methods 20/s per
 * unit, C2D sends 1.67/s per unit, new connections 100/s: learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling);
 * edgemu is one local hub for development, so it applies generous rates per identity instead,
 * enough to stop a runaway client without slowing tests or a busy edge device.
 */
export const DEFAULT_HUB_LIMITS: Readonly<HubLimits> = {
  handshakeTimeoutMs: 10_000,
  maxConnections: 10_000,
  writeBufferBytes: 4 * 1024 * 1024,
  maxKeepAliveSecs: 1177,
  authTimeoutMs: 30_000,
  twinGetsPerSecond: 100,
  methodCallsPerSecond: 100,
  c2dSendsPerSecond: 100,
  connectsPerSecond: 10,
};

/** IoT Hub's errorCode of a throttled operation (`ThrottlingException`). */
export const THROTTLED_ERROR_CODE = 429001;

/** The per-identity rate limiters of one hub. */
export interface HubThrottles {
  twinGets: RateLimiter;
  methodCalls: RateLimiter;
  c2dSends: RateLimiter;
  connects: RateLimiter;
}

export function resolveHubLimits(partial: Partial<HubLimits> | undefined): HubLimits {
  const limits = { ...DEFAULT_HUB_LIMITS, ...partial };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`hub limit ${name} must be a number ≥ 0 (got ${String(value)})`);
  }
  return limits;
}

export function createHubThrottles(limits: HubLimits, clock: Clock): HubThrottles {
  const now = () => clock.now();
  return {
    twinGets: new RateLimiter(limits.twinGetsPerSecond, limits.twinGetsPerSecond, now),
    methodCalls: new RateLimiter(limits.methodCallsPerSecond, limits.methodCallsPerSecond, now),
    c2dSends: new RateLimiter(limits.c2dSendsPerSecond, limits.c2dSendsPerSecond, now),
    connects: new RateLimiter(limits.connectsPerSecond, limits.connectsPerSecond * 2, now),
  };
}
