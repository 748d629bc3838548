/**
 * Why a connection or request failed. Retry decisions read the category, never message text.
 *
 * - `not_configured`: nothing to talk to yet (no socket, no password, no public key).
 * - `refused`: a socket file without a listener (ECONNREFUSED).
 * - `timeout`: no answer in time (includes a hung peer).
 * - `auth`: the peer rejected, or silently withheld, authorisation.
 * - `protocol`: the peer sent bytes or JSON we cannot understand.
 * - `closed`: the peer went away (EOF, ECONNRESET, EPIPE).
 * - `busy`: the peer is at capacity (EAGAIN on connect, one-client bridge taken).
 */
export type ErrorCategory =
  | "not_configured"
  | "refused"
  | "timeout"
  | "auth"
  | "protocol"
  | "closed"
  | "busy";

/** Every category once: the compiler insists on an entry for each, so none can be forgotten. */
const CATEGORIES: Readonly<Record<ErrorCategory, true>> = {
  not_configured: true,
  refused: true,
  timeout: true,
  auth: true,
  protocol: true,
  closed: true,
  busy: true,
};

/**
 * Whether a value read from JSON (a daemon's reply, a status document) is an
 * {@link ErrorCategory}.
 *
 * @example
 * ```ts
 * isErrorCategory("busy"); // true
 * isErrorCategory("EAGAIN"); // false
 * ```
 */
export function isErrorCategory(value: unknown): value is ErrorCategory {
  return typeof value === "string" && Object.hasOwn(CATEGORIES, value);
}

const RECOVERABLE_BY_DEFAULT: ReadonlySet<ErrorCategory> = new Set([
  "refused",
  "timeout",
  "closed",
  "busy",
]);

/** Options for {@link ConnectionError}. */
export interface ConnectionErrorOptions {
  /** Overrides the category's default (`refused`, `timeout`, `closed`, `busy` are recoverable). */
  recoverable?: boolean;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The one error type every socket-talking part of tether throws.
 *
 * @example
 * ```ts
 * throw new ConnectionError("refused", "kitty 4121: nothing listens on /run/user/1000/kitty/kitty-4121.sock");
 * ```
 */
export class ConnectionError extends Error {
  override name = "ConnectionError";
  /** Why it failed. */
  readonly category: ErrorCategory;
  /** Whether trying again may succeed. */
  readonly recoverable: boolean;

  constructor(category: ErrorCategory, message: string, options: ConnectionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.category = category;
    this.recoverable = options.recoverable ?? RECOVERABLE_BY_DEFAULT.has(category);
  }
}

const CATEGORY_BY_ERRNO: Readonly<Record<string, ErrorCategory>> = {
  ENOENT: "not_configured",
  ENOTDIR: "not_configured",
  // A host name that does not resolve is a configuration problem, not a passing fault.
  ENOTFOUND: "not_configured",
  ECONNREFUSED: "refused",
  ECONNRESET: "closed",
  EPIPE: "closed",
  ECONNABORTED: "closed",
  EAGAIN: "busy",
  EWOULDBLOCK: "busy",
  ETIMEDOUT: "timeout",
  EACCES: "auth",
  EPERM: "auth",
};

/**
 * The category for an errno code such as `ECONNREFUSED`, or null for codes we do not know.
 *
 * @example
 * ```ts
 * categoryForErrno("ECONNREFUSED"); // "refused"
 * ```
 */
export function categoryForErrno(code: string): ErrorCategory | null {
  return CATEGORY_BY_ERRNO[code] ?? null;
}

/**
 * Turns anything thrown by a socket operation into a {@link ConnectionError}; an error that
 * already is one is returned unchanged. `context` starts the message ("sway 812: ...").
 * Unknown errno codes become `closed` (the connection is unusable either way).
 */
export function toConnectionError(error: unknown, context: string): ConnectionError {
  if (error instanceof ConnectionError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  const category = typeof code === "string" ? categoryForErrno(code) : null;
  return new ConnectionError(category ?? "closed", `${context}: ${detail}`, { cause: error });
}

/** A problem as tether's JSON carries it: `error: {category, message}` (or `null`). */
export interface ErrorJson {
  /** One of the {@link ErrorCategory} values. */
  category: ErrorCategory;
  /** One line for people: what happened, to what, and what to do. */
  message: string;
}

/**
 * The JSON form of a problem: a {@link ConnectionError} keeps its category; anything else is
 * reported as `closed` with its message (the connection is unusable either way).
 *
 * @example
 * ```ts
 * errorJson(new ConnectionError("refused", "nothing listens")); // { category: "refused", message: "nothing listens" }
 * ```
 */
export function errorJson(error: unknown): ErrorJson {
  if (error instanceof ConnectionError) return { category: error.category, message: error.message };
  return { category: "closed", message: error instanceof Error ? error.message : String(error) };
}
