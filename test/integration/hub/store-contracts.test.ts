import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openHubStore } from '../../../runtime/hub/index.js';
import { messageStoreContract } from '../../helpers/contracts/message-store-contract.js';
import { twinStoreContract } from '../../helpers/contracts/twin-store-contract.js';

/** The SQLite stores (hub.db) against the store contracts; another implementation is one more call each. */

const sqliteHubStore = (options: Parameters<typeof openHubStore>[0] extends infer O ? Omit<O, 'stateDir'> : never) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-contract-'));
  const store = openHubStore({ ...options, stateDir: dir });
  return {
    store,
    close: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

twinStoreContract('SQLite (hub.db)', (clock) => {
  const { store, close } = sqliteHubStore({ clock });
  return { twins: store.twins, createDevice: (d) => void store.identities.createDevice(d), transaction: (fn) => store.transaction(fn), close };
});

messageStoreContract('SQLite (hub.db)', ({ maxMessages }) => {
  const { store, close } = sqliteHubStore({ maxMessages });
  return { messages: store.messages, close };
});
