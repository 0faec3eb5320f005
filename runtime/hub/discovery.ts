import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** File name of the running hub's discovery record in the state dir. */
export const DISCOVERY_FILE = 'hub.json';

/** What a running hub tells CLI clients about itself (DIR/hub.json). */
export interface HubDiscovery {
  pid: number;
  /** The hub host name used in connection strings and SAS resource URIs. */
  hostName: string;
  /** Every name the server certificate is valid for. */
  hostNames: string[];
  mqttsPort: number;
  /** The AMQP over TLS port, when the hub serves AMQP. */
  amqpsPort?: number | undefined;
  /** The service API's port. */
  httpsPort?: number | undefined;
  /** Absolute path of the CA certificate clients must trust. */
  caFile: string;
  startedAt: string;
}

/** Writes the discovery file atomically (write + rename), so a reader never sees half of it. */
export function writeDiscovery(stateDir: string, info: HubDiscovery): void {
  const file = path.join(stateDir, DISCOVERY_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Removes the discovery file if it is this process's own (clean shutdown). */
export function removeDiscovery(stateDir: string, pid = process.pid): void {
  const current = readDiscoveryFile(stateDir);
  if (current && current.pid === pid) rmSync(path.join(stateDir, DISCOVERY_FILE), { force: true });
}

/**
 * The running hub for a state dir, or undefined when there is none. A record left behind by
 * a process that no longer exists (killed hub) counts as "not running".
 */
export function readDiscovery(stateDir: string): HubDiscovery | undefined {
  const info = readDiscoveryFile(stateDir);
  return info && isAlive(info.pid) ? info : undefined;
}

function readDiscoveryFile(stateDir: string): HubDiscovery | undefined {
  try {
    const info = JSON.parse(readFileSync(path.join(stateDir, DISCOVERY_FILE), 'utf8')) as HubDiscovery;
    return typeof info.pid === 'number' && typeof info.mqttsPort === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** `kill(pid, 0)`: ESRCH means gone; EPERM means it exists but belongs to someone else. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
