import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { HubError } from '../errors.js';
import { MIGRATIONS } from './schema.js';

export type Db = Database.Database;

/** File name of the hub database inside the state dir. */
export const HUB_DB_FILE = 'hub.db';

export interface SqliteFile {
  /** Directory of the file (created 0700 when missing). */
  dir: string;
  /** File name inside `dir`. */
  file: string;
  /** Schema migrations in order: migration i takes `user_version` i to i+1. */
  migrations: readonly string[];
  /** What the file holds, for error messages ("the hub store"). */
  what: string;
  /** The typed error for a file that cannot be opened or is newer than this edgemu. */
  error: (message: string, cause?: unknown) => Error;
}

/**
 * The one SQLite opener of edgemu (hub.db, routing.db): creates the directory owner-only and
 * the file (and its WAL/SHM) 0600 — the hub store holds every SAS key and the queues hold
 * message bodies —, sets the pragmas, and migrates by `user_version`. WAL lets the CLI read
 * while a hub process runs; `busy_timeout` makes concurrent writers wait instead of failing;
 * `synchronous=NORMAL` in WAL mode survives process death (SIGKILL) — only an OS crash could
 * lose the last commits — which is the durability the hub promises
 * (sqlite.org/wal.html, sqlite.org/pragma.html#pragma_synchronous).
 */
export function openSqlite(spec: SqliteFile): Db {
  const file = path.join(spec.dir, spec.file);
  let db: Db;
  try {
    mkdirSync(spec.dir, { recursive: true, mode: 0o700 });
    db = new Database(file);
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
  } catch (error) {
    throw spec.error(`cannot open ${spec.what} in ${spec.dir}: ${(error as Error).message}`, error);
  }
  const version = spec.migrations.length;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > version) {
    db.close();
    throw spec.error(`${spec.what} in ${spec.dir} has schema ${current}, newer than this edgemu understands (${version})`);
  }
  if (current < version) {
    try {
      // BEGIN IMMEDIATE: two processes opening a fresh state dir at once migrate only once.
      db.transaction(() => {
        const again = db.pragma('user_version', { simple: true }) as number;
        for (let v = again; v < version; v++) db.exec(spec.migrations[v]!);
        db.pragma(`user_version = ${version}`);
      }).immediate();
    } catch (error) {
      db.close();
      throw spec.error(`cannot migrate ${spec.what} in ${spec.dir}: ${(error as Error).message}`, error);
    }
  }
  return db;
}

/** Opens (creating and migrating when needed) the hub database in `stateDir`. */
export function openDb(stateDir: string): Db {
  return openSqlite({
    dir: stateDir,
    file: HUB_DB_FILE,
    migrations: MIGRATIONS,
    what: 'the hub store',
    error: (message, cause) => new HubError('HUB_STORE', message, cause === undefined ? undefined : { cause }),
  });
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
