import { UsageError } from '../errors.js';
import { DEFAULT_HUB_LIMITS, type HubLimits } from '../hub/index.js';
import { DEFAULT_LIMITS, type ServiceApiLimits } from '../service-api/index.js';

/** The limits `--limit NAME=VALUE` may set (docs/hub.md and docs/service-api.md "Limits"). */
export interface LimitFlags {
  hub: Partial<HubLimits>;
  serviceApi: Partial<ServiceApiLimits>;
}

/**
 * Parses repeated `--limit NAME=VALUE` flags: a hub limit by its name (`writeBufferBytes=8388608`),
 * a service API limit with the `service.` prefix (`service.maxConnections=4096`). Values are
 * numbers ≥ 0; an unknown name is a usage error listing the known ones.
 */
export function parseLimitFlags(values: readonly string[] | undefined): LimitFlags {
  const out: LimitFlags = { hub: {}, serviceApi: {} };
  for (const raw of values ?? []) {
    const m = /^([\w.]+)=(.+)$/.exec(raw);
    if (!m) throw new UsageError(`--limit takes NAME=VALUE, got ${JSON.stringify(raw)}`);
    const [, name, text] = m as unknown as [string, string, string];
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new UsageError(`--limit ${name} must be a number ≥ 0, got ${JSON.stringify(text)}`);
    if (name.startsWith('service.') && name.slice(8) in DEFAULT_LIMITS) (out.serviceApi as Record<string, number>)[name.slice(8)] = value;
    else if (name in DEFAULT_HUB_LIMITS) (out.hub as Record<string, number>)[name] = value;
    else {
      const known = [...Object.keys(DEFAULT_HUB_LIMITS), ...Object.keys(DEFAULT_LIMITS).map((k) => `service.${k}`)];
      throw new UsageError(`unknown --limit ${JSON.stringify(name)}; known: ${known.join(', ')}`);
    }
  }
  return out;
}
