import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openHubStore } from '../../../runtime/hub/index.js';
import { MIGRATIONS } from '../../../runtime/hub/store/schema.js';
import { HUB_DB_FILE, openSqlite } from '../../../runtime/hub/store/sqlite-db.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A hub.db as the edgemu of schema `version` left it. */
function hubDbAt(version: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-schema-'));
  dirs.push(dir);
  const db = openSqlite({ dir, file: HUB_DB_FILE, migrations: MIGRATIONS.slice(0, version), what: 'the hub store', error: (m) => new Error(m) });
  db.prepare("INSERT INTO messages (endpoint, device_id, enqueued_at, system_props, app_props, body) VALUES ('$upstream', 'dev1', '2026-12-01T00:00:00.000Z', '{}', '{\"k\":\"v\"}', ?)").run(Buffer.from('kept'));
  db.close();
  return dir;
}

describe('the hub store schema', () => {
  it('takes a schema-4 hub.db to schema 5: the endpoint index is dropped and the stored messages are kept', () => {
    const dir = hubDbAt(4);
    const store = openHubStore({ stateDir: dir });
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(5);
      expect(store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").all()).toEqual([]);
      const [m] = store.messages.read({ endpoint: '$upstream' });
      expect(m).toMatchObject({ seq: 1, deviceId: 'dev1', properties: { k: 'v' } });
      expect(m!.body.toString()).toBe('kept');
    } finally {
      store.close();
    }
  });

  it('reads an endpoint from a sequence number along the table key, not by scanning it', () => {
    const store = openHubStore({ stateDir: hubDbAt(MIGRATIONS.length) });
    try {
      const plan = store.db.prepare("EXPLAIN QUERY PLAN SELECT * FROM messages WHERE endpoint = '$upstream' AND seq > 10 ORDER BY seq LIMIT 5").all() as Array<{ detail: string }>;
      expect(plan.map((r) => r.detail).join('; ')).toMatch(/SEARCH messages USING INTEGER PRIMARY KEY \(rowid>\?\)/);
    } finally {
      store.close();
    }
  });
});
