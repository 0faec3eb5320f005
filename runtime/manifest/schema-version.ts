/**
 * schemaVersion parsing as the IoT Edge runtime does it: with .NET `System.Version`
 * semantics (2–4 dot-separated non-negative integers; a missing component compares as -1,
 * so `1.1` < `1.1.0` < `1.1.0.0`).
 */
export interface DotNetVersion {
  major: number;
  minor: number;
  build: number;
  revision: number;
}

/** Parses like `Version.TryParse` (`"1"` fails: at least major.minor is required). */
export function parseDotNetVersion(text: string): DotNetVersion | undefined {
  if (!/^\d{1,9}\.\d{1,9}(\.\d{1,9}){0,2}$/.test(text)) return undefined;
  const [major, minor, build, revision] = text.split('.').map(Number);
  return { major: major!, minor: minor!, build: build ?? -1, revision: revision ?? -1 };
}

function compare(a: DotNetVersion, b: DotNetVersion): number {
  return a.major - b.major || a.minor - b.minor || a.build - b.build || a.revision - b.revision;
}

/** The newest `$edgeAgent` schema the agent accepts (`EdgeAgentConnection.ExpectedSchemaVersion = 1.1.0`). */
export const MAX_AGENT_SCHEMA_VERSION: DotNetVersion = { major: 1, minor: 1, build: 0, revision: -1 };

export type SchemaVersionCheck = { ok: true; version: DotNetVersion } | { ok: false; message: string };

/**
 * `EdgeAgentConnection.ValidateSchemaVersion`: the value must parse, major must be 1 and the
 * version must not exceed 1.1.0; anything else makes the agent report 412.
 */
export function checkAgentSchemaVersion(value: unknown): SchemaVersionCheck {
  if (value === undefined) return { ok: false, message: 'required property "schemaVersion" is missing: set it to "1.1" (or "1.0")' };
  if (typeof value !== 'string') return { ok: false, message: `schemaVersion must be a string such as "1.1", got ${JSON.stringify(value)}` };
  const version = parseDotNetVersion(value.trim());
  if (!version) return { ok: false, message: `schemaVersion "${value}" is not a version number: use "1.1" or "1.0"` };
  if (version.major !== 1 || compare(version, MAX_AGENT_SCHEMA_VERSION) > 0) {
    return { ok: false, message: `schemaVersion "${value}" is not supported by the edge agent: supported are 1.0 and 1.1 (up to 1.1.0)` };
  }
  return { ok: true, version };
}

/**
 * `EdgeHubConfigParser`: major must be 1 and minor 0–3 (only major/minor are compared, so
 * `1.1.0` is 1.1). Unsupported versions are a 400 for the hub (it only reports 200/400).
 */
export function checkHubSchemaVersion(value: unknown): SchemaVersionCheck {
  if (value === undefined) return { ok: false, message: 'required property "schemaVersion" is missing: set it to "1.1" (or any of 1.0–1.3)' };
  if (typeof value !== 'string') return { ok: false, message: `schemaVersion must be a string such as "1.1", got ${JSON.stringify(value)}` };
  const version = parseDotNetVersion(value.trim());
  if (!version) return { ok: false, message: `schemaVersion "${value}" is not a version number: use one of 1.0, 1.1, 1.2, 1.3` };
  if (version.major !== 1 || version.minor > 3) {
    return { ok: false, message: `schemaVersion "${value}" is not supported by edgeHub: supported are 1.0, 1.1, 1.2 and 1.3` };
  }
  return { ok: true, version };
}
