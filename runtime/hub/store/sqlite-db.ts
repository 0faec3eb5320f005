import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { HubError } from '../errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

export type Db = Database.Database;

/** File name of the hub database inside the state dir. */
export const HUB_DB_FILE = 'hub.db';

/**
 * Opens (creating and migrating when needed) the hub database in `stateDir`. WAL lets the
 * CLI read and write while a hub process runs; `busy_timeout` makes concurrent writers wait
 * instead of failing. `synchronous=NORMAL` in WAL mode survives process death (SIGKILL) —
 * only an OS crash could lose the last commits — which is the durability the hub promises.
 */
export function openDb(stateDir: string): Db {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  let db: Db;
  try {
    db = new Database(path.join(stateDir, HUB_DB_FILE));
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // The store holds every SAS key (iothubowner included): owner-only, like the TLS keys.
    for (const suffix of ['', '-wal', '-shm']) {
      const file = path.join(stateDir, HUB_DB_FILE + suffix);
      if (existsSync(file)) chmodSync(file, 0o600);
    }
  } catch (error) {
    throw new HubError('HUB_STORE', `cannot open the hub store in ${stateDir}: ${(error as Error).message}`, { cause: error });
  }
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    db.close();
    throw new HubError('HUB_STORE', `the hub store in ${stateDir} has schema ${current}, newer than this edgemu understands (${SCHEMA_VERSION})`);
  }
  if (current < SCHEMA_VERSION) {
    // BEGIN IMMEDIATE: two processes opening a fresh state dir at once migrate only once.
    db.transaction(() => {
      const again = db.pragma('user_version', { simple: true }) as number;
      for (let v = again; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }
  return db;
}

/**
 * Transactions with events that fire only after the outermost commit, so listeners (the hub
 * pushing a desired patch, routing reacting to `$edgeHub`) never see a write that is later
 * rolled back, and a multi-twin write (applyConfigurationContent) is seen as one.
 */
export class TxRunner {
  private depth = 0;
  private pending: Array<() => void> = [];

  constructor(readonly db: Db) {}

  /** Runs `fn` in a transaction (nested calls join the outer one). */
  run<T>(fn: () => T): T {
    if (this.depth > 0) {
      this.depth++;
      try {
        return fn();
      } finally {
        this.depth--;
      }
    }
    this.depth = 1;
    let result: T;
    try {
      result = this.db.transaction(fn).immediate();
    } catch (error) {
      this.pending = [];
      throw error;
    } finally {
      this.depth = 0;
    }
    const events = this.pending;
    this.pending = [];
    for (const e of events) e();
    return result;
  }

  /** Queues `fn` to run after the current transaction commits (at once when none is open). */
  afterCommit(fn: () => void): void {
    if (this.depth > 0) this.pending.push(fn);
    else fn();
  }
}
