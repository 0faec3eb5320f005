import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb, HUB_DB_FILE } from '../../../runtime/hub/store/sqlite-db.js';

describe('the hub store file', () => {
  it('is readable by its owner only, since it holds every SAS key', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'edgemu-perm-'));
    try {
      const db = openDb(dir);
      db.close();
      expect(statSync(path.join(dir, HUB_DB_FILE)).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the hub TLS material', () => {
  it('is created in a state dir that does not exist yet', async () => {
    const { ensureTlsMaterial } = await import('../../../runtime/hub/tls-material.js');
    const parent = mkdtempSync(path.join(os.tmpdir(), 'edgemu-tls-'));
    try {
      const material = await ensureTlsMaterial(path.join(parent, 'new', 'state'), []);
      expect(statSync(material.caFile).isFile()).toBe(true);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
