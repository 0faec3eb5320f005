import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { ROUTING_DB_FILE, RouteQueueStore } from '../../../runtime/routing/route-queue-store.js';
import { routeQueueStoreContract } from '../../helpers/contracts/route-queue-store-contract.js';
import { EdgemuError } from '../../../runtime/errors.js';

routeQueueStoreContract('SQLite (routing.db)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-queue-contract-'));
  return {
    open: () => new RouteQueueStore(dir),
    reopen: (store) => {
      store.close();
      return new RouteQueueStore(dir);
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('RouteQueueStore (routing.db)', () => {
  let dir: string;
  let store: RouteQueueStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'edgemu-queue-'));
    store = new RouteQueueStore(dir);
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is owner-only and versioned like hub.db (one SQLite opener)', () => {
    store.close();
    store = new RouteQueueStore(dir);
    expect(statSync(path.join(dir, ROUTING_DB_FILE)).mode & 0o777).toBe(0o600);
    const db = new Database(path.join(dir, ROUTING_DB_FILE), { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });

  it('refuses a routing.db that is not a database with a clear error', () => {
    const bad = mkdtempSync(path.join(tmpdir(), 'edgemu-queue-bad-'));
    try {
      writeFileSync(path.join(bad, ROUTING_DB_FILE), 'this is not sqlite '.repeat(100));
      let error: unknown;
      try {
        new RouteQueueStore(bad).close();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EdgemuError);
      expect((error as EdgemuError).code).toBe('ROUTING_STORE');
      expect((error as Error).message).toContain('cannot open the routing queues');
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
