import type { Db } from './sqlite-db.js';

/**
 * Persistent MQTT session subscriptions (clean session off), keyed by client id. IoT Hub
 * keeps them across reconnects; the hub keeps them across its own restarts too.
 */
export class SessionStore {
  private readonly stmt;

  constructor(db: Db) {
    this.stmt = {
      add: db.prepare('INSERT OR IGNORE INTO sessions (client_id, filter) VALUES (?, ?)'),
      remove: db.prepare('DELETE FROM sessions WHERE client_id = ? AND filter = ?'),
      clear: db.prepare('DELETE FROM sessions WHERE client_id = ?'),
      list: db.prepare<[string], { filter: string }>('SELECT filter FROM sessions WHERE client_id = ?'),
      clearModules: db.prepare("DELETE FROM sessions WHERE substr(client_id, 1, ?) = ?"),
    };
  }

  add(clientId: string, filter: string): void {
    this.stmt.add.run(clientId, filter);
  }

  remove(clientId: string, filter: string): void {
    this.stmt.remove.run(clientId, filter);
  }

  clear(clientId: string): void {
    this.stmt.clear.run(clientId);
  }

  /** Forgets the sessions of a deleted module, or of a deleted device and all its modules. */
  removeIdentity(deviceId: string, moduleId: string | undefined): void {
    if (moduleId) {
      this.stmt.clear.run(`${deviceId}/${moduleId}`);
    } else {
      this.stmt.clear.run(deviceId);
      this.stmt.clearModules.run(deviceId.length + 1, `${deviceId}/`);
    }
  }

  filters(clientId: string): Set<string> {
    return new Set(this.stmt.list.all(clientId).map((r) => r.filter));
  }
}
