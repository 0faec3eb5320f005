/**
 * The syntax tree of an edgeHub route (`[SELECT *] FROM <source> [WHERE <condition>] INTO <sink>`)
 * as produced by `parseRoute` and consumed by the condition evaluator and the router.
 * Grammar: iotedge `Routing.Core/grammar/Route.g4`, `Condition.g4`, `GrammarLexer.g4`
 * (learn.microsoft.com/azure/iot-edge/module-composition, "Declare routes").
 */

/**
 * Static types of the condition language. edgeHub compiles conditions to typed expressions
 * (`ConditionVisitor.cs`): application and system properties are strings, `$body.*` queries
 * are dynamically typed (`QueryValue`, here `any`), and operators require matching operand
 * types, otherwise the route does not compile.
 */
export type StaticType = 'bool' | 'number' | 'string' | 'null' | 'undefined' | 'any';

export type LiteralValue = string | number | boolean | null | undefined;

export type ConditionNode =
  | { kind: 'literal'; value: LiteralValue; type: StaticType; position: number }
  /** A bare identifier: the application property of that name. */
  | { kind: 'appProperty'; name: string; type: 'string'; position: number }
  /**
   * `$name` (escaped = false): an application property literally called `$name` wins, then a
   * `$body.` query, then the system property `name`. `{$name}` (escaped = true): system property
   * or body query only.
   */
  | { kind: 'sysProperty'; name: string; escaped: boolean; type: 'string'; position: number }
  | {
      kind: 'bodyQuery';
      /** Path segments after `$body.`: property names and array indexes. */
      path: readonly (string | number)[];
      /** The text as written (`$body.a.b`), used for the application-property precedence rule. */
      text: string;
      escaped: boolean;
      type: 'any';
      position: number;
    }
  | { kind: 'unary'; op: '-' | 'NOT'; operand: ConditionNode; type: StaticType; position: number }
  | { kind: 'binary'; op: BinaryOp; left: ConditionNode; right: ConditionNode; type: StaticType; position: number }
  | { kind: 'call'; name: string; args: readonly ConditionNode[]; type: StaticType; position: number; rawArgs: string };

export type BinaryOp = '*' | '/' | '%' | '+' | '-' | '||' | '<' | '<=' | '>' | '>=' | '=' | '!=' | 'AND' | 'OR' | '??';

/** Where a route sends matching messages (`Hub.Core/routing/EndpointFactory.cs`). */
export type RouteSink =
  | { kind: 'upstream' }
  | { kind: 'moduleInput'; moduleId: string; inputName: string };

export interface ParsedRoute {
  /** The route text as given. */
  text: string;
  /** The source path as written, e.g. `/messages/modules/m1/outputs/*`. */
  source: string;
  /**
   * The source as a lower-case prefix with exactly one trailing `/` (trailing `*` and `/`
   * stripped first), e.g. `/messages/modules/m1/outputs/` (`CustomMessageSource.cs`).
   */
  sourcePrefix: string;
  /** Undefined when the route has no WHERE clause (condition `true`). */
  condition: ConditionNode | undefined;
  sink: RouteSink;
}

export interface RouteSyntaxError {
  /** Human-readable, quotes the offending text. */
  message: string;
  /** 0-based character offset into the route text. */
  position: number;
}

export type ParseRouteResult = { ok: true; route: ParsedRoute } | { ok: false; error: RouteSyntaxError };

/** Textual key of a sink: `$upstream` or `/modules/<m>/inputs/<i>`; used for queue names. */
export function sinkKey(sink: RouteSink): string {
  return sink.kind === 'upstream' ? '$upstream' : `/modules/${sink.moduleId}/inputs/${sink.inputName}`;
}
