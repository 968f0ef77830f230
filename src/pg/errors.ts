/**
 * Typed errors of the PostgreSQL layer. Each one is a failed step (exit code 1) that says what went wrong with
 * which target, and a hint of what to do next; none ever contains a password (messages are built from the
 * target's label and redacted server text).
 */
import { StepFailedError } from '../core/errors.js';

export type PgConnectionProblem =
  | 'unreachable' // refused, unknown host, no route, timeout, no socket file
  | 'auth' // wrong or missing password, no pg_hba entry
  | 'no-database' // the database does not exist
  | 'not-ready' // the server is starting, shutting down or in recovery
  | 'too-many-connections'
  | 'ssl' // SSL wanted by one side and not offered by the other, or not verifiable
  | 'other';

/** Connecting to a PostgreSQL server failed. `problem` tells callers (and tests) which case it was. */
export class PgConnectionError extends StepFailedError {
  readonly problem: PgConnectionProblem;
  /** SQLSTATE or Node error code when there was one (28P01, 3D000, ECONNREFUSED, …). */
  readonly code: string | undefined;
  constructor(problem: PgConnectionProblem, message: string, hint: string, code?: string, cause?: unknown) {
    super(message, hint, cause);
    this.problem = problem;
    this.code = code;
  }
}

export type ClusterProblem =
  | 'port-in-use'
  | 'no-server-user' // running as root and there is no unprivileged user to run the server as
  | 'unreachable-folder' // the server user cannot enter the folder the cluster would live in
  | 'initdb-failed'
  | 'start-failed'
  | 'stop-failed';

/** Creating, starting or stopping a throwaway cluster failed; the message carries the redacted log tail. */
export class ClusterError extends StepFailedError {
  readonly problem: ClusterProblem;
  constructor(problem: ClusterProblem, message: string, hint: string, cause?: unknown) {
    super(message, hint, cause);
    this.problem = problem;
  }
}
