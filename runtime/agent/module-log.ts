// What a module's log read asks for and gives: shared by the direct methods (runtime/agent/methods)
// and the Kubernetes side that reads pod logs (runtime/agent/kubernetes).

/** Which lines of a module's log to read (the container's current run unless `previous`). */
export interface ModuleLogQuery {
  /** At most this many lines from the end. */
  tail?: number;
  /** Only lines at or after this instant (Unix seconds). */
  since?: number;
  /** Only lines at or before this instant (Unix seconds). */
  until?: number;
  /** The previous container's log (after a restart), as `kubectl logs --previous`. */
  previous?: boolean;
}

/** One module's raw log text (timestamped lines, as the API server's `timestamps=true` gives them). */
export interface ModuleLogText {
  moduleId: string;
  text: string;
}
