import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { edgeAgentSchema } from './schemas/edge-agent-schema.js';
import { edgeHubSchema } from './schemas/edge-hub-schema.js';
import { escapePointerSegment } from './json-pointer.js';
import type { ValidationIssue } from './model.js';

/**
 * The project's JSON Schemas, compiled once by ajv (lazily, on first use) with `allErrors`
 * so a user sees every problem of a manifest at once, not only the first.
 */
let ajv: Ajv | undefined;
const cache = new Map<string, ValidateFunction>();

function compiler(): Ajv {
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, allowUnionTypes: true });
    ajv.addVocabulary(['x-hint']);
  }
  return ajv;
}

function compiled(key: string, build: () => Record<string, unknown>): ValidateFunction {
  let fn = cache.get(key);
  if (!fn) {
    fn = compiler().compile(build());
    cache.set(key, fn);
  }
  return fn;
}

export type AgentSchemaKey = '1.0' | '1.1';
export type HubSchemaMinor = 0 | 1 | 2 | 3;

/** A schema finding: an error, or (`ignored`) an unknown member IoT Edge skips, to report as a warning. */
export interface SchemaIssue extends ValidationIssue {
  ignored?: true;
}

/** Validates `$edgeAgent` desired properties against schema 1.0 or 1.1; issues carry pointers below `base`. */
export function agentSchemaIssues(desired: unknown, version: AgentSchemaKey, base: string): SchemaIssue[] {
  const validate = compiled(`agent-${version}`, () => edgeAgentSchema(version === '1.1'));
  return validate(desired) ? [] : toIssues(validate.errors ?? [], base);
}

/** Validates `$edgeHub` desired properties against schema 1.<minor>. */
export function hubSchemaIssues(desired: unknown, minor: HubSchemaMinor, base: string): SchemaIssue[] {
  const validate = compiled(`hub-${minor}`, () => edgeHubSchema(minor));
  return validate(desired) ? [] : toIssues(validate.errors ?? [], base);
}

/** Hints for properties that exist, but not in this schema version. */
const MISPLACED: Record<string, string> = {
  mqttBroker: 'mqttBroker needs $edgeHub schemaVersion 1.2 or later',
  integrity: 'integrity needs $edgeHub schemaVersion 1.3',
  createOptions: 'createOptions belongs inside "settings"',
  image: 'image belongs inside "settings"',
  imagePullPolicy: 'imagePullPolicy belongs to the module, next to "settings"; inside "settings" it has no effect',
  desiredProperties: 'module twin desired properties go in modulesContent.<module>["properties.desired"]',
};

type Verbose = ErrorObject & { parentSchema?: Record<string, unknown>; data?: unknown; propertyName?: string };

function hintOf(schema: unknown): string {
  const hint = schema && typeof schema === 'object' ? (schema as Record<string, unknown>)['x-hint'] : undefined;
  return typeof hint === 'string' ? `: ${hint}` : '';
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const article = (t: string): string => (/^[aeio]/.test(t) ? `an ${t}` : `a ${t}`);

/** Turns ajv errors into issues with a JSON pointer to the offending (or missing) key and an actionable message. */
export function toIssues(errors: readonly ErrorObject[], base: string): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  for (const raw of errors) {
    const e = raw as Verbose;
    // schemaVersion problems are reported by the schemaVersion check (412 for $edgeAgent)
    if (e.instancePath === '/schemaVersion' || (e.keyword === 'required' && e.params.missingProperty === 'schemaVersion')) continue;
    // the inner error of a propertyNames failure names the key; the wrapper adds nothing
    if (e.keyword === 'propertyNames') continue;
    let path = base + e.instancePath;
    let message: string;
    if (e.propertyName !== undefined) {
      path += `/${escapePointerSegment(e.propertyName)}`;
      const name = JSON.stringify(e.propertyName);
      if (e.keyword === 'minLength') message = `empty names are not allowed${hintOf(e.parentSchema)}`;
      else if (e.keyword === 'maxLength') message = `name ${name} is longer than ${e.params.limit as number} characters${hintOf(e.parentSchema)}`;
      else message = `name ${name} is not allowed${hintOf(e.parentSchema)}`;
      issues.push({ path, message });
      continue;
    }
    switch (e.keyword) {
      case 'required': {
        const missing = e.params.missingProperty as string;
        path += `/${escapePointerSegment(missing)}`;
        const props = e.parentSchema?.properties as Record<string, unknown> | undefined;
        message = `required property "${missing}" is missing${hintOf(props?.[missing])}`;
        break;
      }
      case 'additionalProperties': {
        const extra = e.params.additionalProperty as string;
        path += `/${escapePointerSegment(extra)}`;
        const allowed = Object.keys((e.parentSchema?.properties as Record<string, unknown> | undefined) ?? {}).filter((k) => k !== 'schemaVersion' || e.instancePath === '');
        const patterns = Object.keys((e.parentSchema?.patternProperties as Record<string, unknown> | undefined) ?? {});
        const allowedText = [...allowed, ...(patterns.length > 0 ? ['createOptions01…'] : [])].join(', ');
        const sameButCase = allowed.find((k) => k.toLowerCase() === extra.toLowerCase());
        if (sameButCase !== undefined) {
          // Json.NET matches member names ignoring case, so edgeAgent would use it; edgemu reads exact names only
          message = `property "${extra}" must be written "${sameButCase}" (IoT Edge's JSON reader matches names ignoring case, edgemu does not)`;
          break;
        }
        // Json.NET's default MissingMemberHandling.Ignore: edgeAgent's and edgeHub's readers skip members they
        // do not know (Agent.Core/serde/ModuleSetSerde.cs, TypeSpecificSerDe.cs set no other handling)
        issues.push({
          path,
          ignored: true,
          message: `unknown property "${extra}" at ${path} is ignored, as IoT Edge ignores it${MISPLACED[extra] ? ` (${MISPLACED[extra]})` : ''}; known here: ${allowedText || 'nothing'}`,
        });
        continue;
      }
      case 'type': {
        const types = ([] as string[]).concat(e.params.type as string | string[]);
        message = `must be ${types.map(article).join(' or ')} (got ${show(e.data)})${hintOf(e.parentSchema)}`;
        break;
      }
      case 'const':
        message = `must be ${JSON.stringify(e.params.allowedValue)} (got ${show(e.data)})`;
        break;
      case 'enum':
        message = `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${show(e.data)})`;
        break;
      case 'minimum':
      case 'maximum':
        message = `must be ${e.keyword === 'minimum' ? '≥' : '≤'} ${e.params.limit as number} (got ${show(e.data)})${hintOf(e.parentSchema)}`;
        break;
      case 'minLength':
        message = `must not be empty${hintOf(e.parentSchema)}`;
        break;
      case 'maxLength':
        message = `must be at most ${e.params.limit as number} characters${hintOf(e.parentSchema)}`;
        break;
      case 'pattern':
        message = `${show(e.data)} is not allowed${hintOf(e.parentSchema)}`;
        break;
      default:
        message = `${e.message ?? 'is invalid'}${hintOf(e.parentSchema)}`;
    }
    issues.push({ path, message });
  }
  return issues;
}
