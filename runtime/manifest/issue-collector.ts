import type { DeploymentStatusCode, ValidationIssue, ValidationResult } from './model.js';

/** An error status a validation issue can carry (200 is "no issue"). */
export type IssueStatus = 400 | 412 | 417;

/**
 * Status precedence as IoT Edge's agent reports `lastDesiredStatus`: an empty/missing
 * `$edgeAgent` section (417) is reported before a bad schemaVersion (412), which is reported
 * before any other format error (400) (`Agent.Core/Agent.cs ReconcileAsync`,
 * `EdgeAgentConnection.UpdateDeploymentConfig`).
 */
const PRECEDENCE: Record<IssueStatus, number> = { 417: 3, 412: 2, 400: 1 };

interface CollectedIssue extends ValidationIssue {
  status: IssueStatus;
}

/**
 * Collects every problem found while validating one document (never only the first), with
 * the status each implies, plus warnings; turns them into a `ValidationResult`.
 */
export class IssueCollector {
  private readonly issues: CollectedIssue[] = [];
  private readonly seenPaths = new Set<string>();
  readonly warnings: string[] = [];

  /**
   * Records a problem. One issue per path: when the schema and a semantic check both object
   * to the same spot, the first (usually more specific) message is kept.
   */
  add(status: IssueStatus, path: string, message: string): void {
    if (this.seenPaths.has(path)) return;
    this.seenPaths.add(path);
    this.issues.push({ status, path, message });
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  get count(): number {
    return this.issues.length;
  }

  /** The highest-precedence status among recorded issues, or 200. */
  get status(): DeploymentStatusCode {
    let best: IssueStatus | undefined;
    for (const i of this.issues) if (best === undefined || PRECEDENCE[i.status] > PRECEDENCE[best]) best = i.status;
    return best ?? 200;
  }

  /** The result: 200 with `value()` when nothing was recorded, otherwise the issues. */
  result<T>(value: () => T): ValidationResult<T> {
    const status = this.status;
    if (status === 200) {
      try {
        return { status: 200, errors: [], warnings: [...this.warnings], value: value() };
      } catch (error) {
        // a bug in normalization must not take the caller (agent, hub, CLI) down with it
        return { status: 400, errors: [{ path: '', message: `edgemu could not normalize this document (a bug, please report it): ${String(error)}` }], warnings: [...this.warnings] };
      }
    }
    return {
      status: status as Exclude<DeploymentStatusCode, 200>,
      errors: this.issues.map(({ path, message }) => ({ path, message })),
      warnings: [...this.warnings],
    };
  }
}
