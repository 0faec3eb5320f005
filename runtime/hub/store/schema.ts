/**
 * The hub's SQLite schema. One file `hub.db` in the state dir holds everything the hub
 * acknowledges (identities, twins, telemetry, queued C2D), so an acknowledged write survives
 * a SIGKILL: WAL mode commits are durable against process death before the ack is sent.
 * `user_version` numbers the schema; migrations are applied in order on open.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE identities (
    device_id TEXT NOT NULL,
    module_id TEXT NOT NULL DEFAULT '',
    is_edge INTEGER NOT NULL DEFAULT 0,
    primary_key TEXT NOT NULL,
    secondary_key TEXT NOT NULL,
    managed_by TEXT,
    generation_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (device_id, module_id)
  );
  CREATE TABLE twins (
    device_id TEXT NOT NULL,
    module_id TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (device_id, module_id)
  );
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint TEXT NOT NULL,
    device_id TEXT NOT NULL,
    module_id TEXT,
    output_name TEXT,
    enqueued_at TEXT NOT NULL,
    system_props TEXT NOT NULL,
    app_props TEXT NOT NULL,
    body BLOB NOT NULL
  );
  CREATE INDEX messages_endpoint ON messages (endpoint, seq);
  CREATE TABLE c2d (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    enqueued_at TEXT NOT NULL,
    expires_at INTEGER,
    system_props TEXT NOT NULL,
    app_props TEXT NOT NULL,
    body BLOB NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX c2d_device ON c2d (device_id, seq);
  `,
  // 2: MQTT session subscriptions of clean-session-off clients, so that after a hub restart
  // desired patches and C2D still reach SDK clients, which never re-subscribe twin topics
  // (docs/hub.md, "sessions").
  `
  CREATE TABLE sessions (
    client_id TEXT NOT NULL,
    filter TEXT NOT NULL,
    PRIMARY KEY (client_id, filter)
  );
  `,
  // 3: IoT Hub configurations (automatic and layered edge deployments,
  // learn.microsoft.com/rest/api/iothub/service/configuration) and, per edge device, which of
  // them target it and what the automatic deployments last wrote (docs/deployments.md).
  `
  CREATE TABLE configurations (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE TABLE device_configurations (
    device_id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
  );
  `,
  // 4: the partition index of the Event Hubs-compatible endpoint (store/event-partition-index.ts):
  // which partition each `$upstream` message lies in, for a partition count, so a receiver reads
  // its partition from an offset without scanning the others. Filled on demand from `messages`.
  `
  CREATE TABLE event_partitions (
    partition_count INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (partition_count, partition, seq)
  ) WITHOUT ROWID;
  `,
  // 5: no index on `messages (endpoint, seq)`. Every stored message is `$upstream` (the hub's
  // built-in endpoint), so reading an endpoint from a sequence number is the same range of the
  // table's own key (`seq`), and the index only cost writes: an entry per message inserted and
  // per message pruned — 0.5 µs of the ≈ 2 µs each message costs SQLite (docs/hub.md "Performance").
  `
  DROP INDEX IF EXISTS messages_endpoint;
  `,
];

/** The schema this edgemu writes: one version per migration (`user_version` after the last). */
export const SCHEMA_VERSION = MIGRATIONS.length;
