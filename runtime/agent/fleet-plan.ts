import { UsageError } from '../errors.js';
import { isValidId } from '../hub/index.js';
import { checkTwinSection } from '../twin/index.js';

/**
 * The most edge devices one `edgemu up --devices N` creates. Each device gets an agent and an MQTT
 * connection in the one edgemu process, and a namespace in the cluster; beyond this the process
 * and a laptop's cluster are the limit, not IoT Hub (docs/agent.md "Many devices").
 */
export const MAX_FLEET_DEVICES = 1000;

/** The id prefix when `--device-prefix` is not given. */
export const DEFAULT_DEVICE_PREFIX = 'edge-';

/** What `edgemu up --devices N [--device-prefix P] [--tags JSON]` asks for, as typed. */
export interface FleetFlags {
  devices: string;
  prefix?: string | undefined;
  tags?: string | undefined;
}

export interface FleetPlan {
  /** Device ids in order: `<prefix><n>` with n = 1 … N, zero-padded to the width of N (`edge-001` … `edge-100`). */
  deviceIds: string[];
  /** Tags every device twin gets (merged into its tags), or undefined. */
  tags: Record<string, unknown> | undefined;
}

/**
 * Checks the fleet flags and names the devices (pure). Refused with `UsageError` (exit 2), before
 * anything starts: a count that is not a whole number from 1 to `MAX_FLEET_DEVICES`; a prefix that
 * makes ids IoT Hub refuses (learn.microsoft.com/azure/iot-hub/iot-hub-devguide-identity-registry,
 * "Device identity properties": up to 128 characters from letters, digits and `-.%_*?!(),:=@$'`);
 * tags that are not a JSON object or break IoT Hub's twin rules for tags (8 KB, key rules, depth —
 * runtime/twin, the one copy of those rules).
 */
export function planFleet(flags: FleetFlags): FleetPlan {
  const text = flags.devices.trim();
  if (!/^\d+$/.test(text)) throw new UsageError(`--devices must be a whole number from 1 to ${MAX_FLEET_DEVICES}, got ${JSON.stringify(flags.devices)}`);
  const count = Number(text);
  if (count < 1) throw new UsageError(`--devices must be at least 1, got ${count}`);
  if (count > MAX_FLEET_DEVICES) throw new UsageError(`--devices ${count} is more than ${MAX_FLEET_DEVICES}, the most edge devices one edgemu process runs agents for`);
  const prefix = flags.prefix ?? DEFAULT_DEVICE_PREFIX;
  const width = String(count).length;
  const deviceIds = Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(width, '0')}`);
  const longest = deviceIds.at(-1)!;
  if (!isValidId(longest)) {
    throw new UsageError(
      `--device-prefix ${JSON.stringify(prefix)} makes device ids such as ${JSON.stringify(longest.slice(0, 140))} that IoT Hub refuses: ids are 1-128 characters from A-Z a-z 0-9 -.%_*?!(),:=@$'`,
    );
  }
  return { deviceIds, tags: flags.tags === undefined ? undefined : parseTags(flags.tags) };
}

function parseTags(text: string): Record<string, unknown> {
  let tags: unknown;
  try {
    tags = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--tags must be a JSON object such as '{"env":"prod"}': ${(error as Error).message}`);
  }
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) throw new UsageError(`--tags must be a JSON object such as '{"env":"prod"}', not ${Array.isArray(tags) ? 'an array' : JSON.stringify(tags)}`);
  const problems = checkTwinSection(tags as Record<string, unknown>, 'tags', 'the --tags');
  if (problems.length > 0) throw new UsageError(`--tags break IoT Hub's twin rules: ${problems.map((p) => `${p.segments.join('.') || '/'}: ${p.message}`).join('; ')}`);
  return tags as Record<string, unknown>;
}

/**
 * The device list as `edgemu up` prints it: every id for a few, else the first and last with the
 * count (`edge-001 … edge-100 (100 devices)`). Pure.
 */
export function describeDeviceList(deviceIds: readonly string[]): string {
  if (deviceIds.length <= 5) return deviceIds.join(', ');
  return `${deviceIds[0]}, ${deviceIds[1]} … ${deviceIds.at(-1)} (${deviceIds.length} devices)`;
}

/**
 * One line on how far a fleet is: how many devices report every deployed module running
 * (`fleet: 87 of 100 devices report all modules running (3 with status ≠ 200)`). `reported` holds
 * each device's `$edgeAgent` reported properties (undefined before its agent reported). Pure.
 */
export function describeFleetProgress(reported: ReadonlyMap<string, Record<string, unknown> | undefined>): string {
  let running = 0;
  let failed = 0;
  for (const r of reported.values()) {
    if (!r) continue;
    const code = (r.lastDesiredStatus as { code?: unknown } | undefined)?.code;
    if (code !== undefined && code !== 200) failed += 1;
    if (allModulesRunning(r)) running += 1;
  }
  return `fleet: ${running} of ${reported.size} devices report all modules running${failed > 0 ? ` (${failed} with deployment status other than 200)` : ''}`;
}

/** True when the report has status 200 and at least one module, all `running`. */
export function allModulesRunning(reported: Record<string, unknown> | undefined): boolean {
  if (!reported) return false;
  if ((reported.lastDesiredStatus as { code?: unknown } | undefined)?.code !== 200) return false;
  const modules = reported.modules;
  if (modules === null || typeof modules !== 'object' || Array.isArray(modules)) return false;
  const entries = Object.values(modules as Record<string, unknown>);
  return entries.length > 0 && entries.every((m) => m !== null && typeof m === 'object' && (m as { runtimeStatus?: unknown }).runtimeStatus === 'running');
}
