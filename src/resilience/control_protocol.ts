import { ConnectionError, type ErrorJson, isErrorCategory } from "./errors.ts";

/**
 * The control-socket protocol as a pure codec (no I/O): one JSON object per line each way.
 * Request `{"cmd":"status", …arguments}`; reply `{"ok":true,"data":…}` or
 * `{"ok":false,"error":{"category":"busy","message":"…","recoverable":true}}`. The error keeps
 * its {@link ErrorCategory}, so a client decides on the category the daemon chose, never on
 * message text. Daemons before this form sent `"error":"<message>"`; a client still reads that
 * (a user upgrades while `tether focus` runs) as a non-recoverable `protocol` error.
 */

/** A request on a control socket: one JSON object per line with at least `cmd`. */
export interface ControlRequest {
  /** The command name, e.g. `status` or `reconnect`. */
  cmd: string;
  /** Command arguments, if any. */
  [argument: string]: unknown;
}

/** An error as a control reply carries it: {@link ErrorJson} plus whether trying again may help. */
export interface ControlErrorJson extends ErrorJson {
  /**
   * Whether trying again may succeed. `busy` and recoverable means the daemon had no room for
   * the request (it did not run it): {@link requestControl} tries again within its timeout.
   */
  recoverable: boolean;
}

/** One reply line, decoded. */
export type ControlReply = { ok: true; data: unknown } | { ok: false; error: ControlErrorJson };

/**
 * The reply line (newline included) for a value or a problem.
 *
 * @example
 * ```ts
 * encodeControlReply({ ok: true, data: 1 }); // '{"ok":true,"data":1}\n'
 * ```
 */
export function encodeControlReply(reply: ControlReply): string {
  return JSON.stringify(reply) + "\n";
}

/**
 * The reply to a request that failed: a {@link ConnectionError} keeps its category and
 * `recoverable`; anything else a handler throws (a bad argument, a bug) is a non-recoverable
 * `protocol` error with its message — trying the same request again would fail the same way.
 *
 * @example
 * ```ts
 * controlErrorReply(new ConnectionError("busy", "64 requests already waiting"));
 * // { ok: false, error: { category: "busy", message: "64 requests already waiting", recoverable: true } }
 * ```
 */
export function controlErrorReply(error: unknown): Extract<ControlReply, { ok: false }> {
  if (error instanceof ConnectionError) {
    return {
      ok: false,
      error: { category: error.category, message: error.message, recoverable: error.recoverable },
    };
  }
  return refusal(error instanceof Error ? error.message : String(error));
}

/**
 * Reads one request line: the request, or — for a line that is not a JSON object with a string
 * `cmd` — the error reply to send.
 *
 * @example
 * ```ts
 * decodeControlRequest('{"cmd":"send","quiet_ms":500}'); // { ok: true, request: { cmd: "send", quiet_ms: 500 } }
 * decodeControlRequest("[1]"); // { ok: false, error: { category: "protocol", … } }
 * ```
 */
export function decodeControlRequest(
  line: string,
): { ok: true; request: ControlRequest } | Extract<ControlReply, { ok: false }> {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch {
    return refusal("request is not valid JSON");
  }
  if (
    typeof request !== "object" || request === null || Array.isArray(request) ||
    typeof (request as { cmd?: unknown }).cmd !== "string"
  ) {
    return refusal('request must be a JSON object with a string "cmd"');
  }
  return { ok: true, request: request as ControlRequest };
}

function refusal(message: string): Extract<ControlReply, { ok: false }> {
  return { ok: false, error: { category: "protocol", message, recoverable: false } };
}

/**
 * Reads one reply line, in this form or the old one (`"error":"<message>"`); null when the line
 * is no reply at all (not JSON, no boolean `ok`, an error without a known category).
 *
 * @example
 * ```ts
 * decodeControlReply('{"ok":false,"error":"unknown command"}');
 * // { ok: false, error: { category: "protocol", message: "unknown command", recoverable: false } }
 * ```
 */
export function decodeControlReply(line: string): ControlReply | null {
  let reply: unknown;
  try {
    reply = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof reply !== "object" || reply === null) return null;
  const { ok, data, error } = reply as { ok?: unknown; data?: unknown; error?: unknown };
  if (ok === true) return { ok: true, data };
  if (ok !== false) return null;
  if (typeof error === "string") return refusal(error);
  if (typeof error !== "object" || error === null) return null;
  const { category, message, recoverable } = error as Record<string, unknown>;
  if (
    !isErrorCategory(category) || typeof message !== "string" ||
    typeof recoverable !== "boolean"
  ) {
    return null;
  }
  return { ok: false, error: { category, message, recoverable } };
}

/**
 * A daemon's error reply as an error: the daemon received the request and refused it (the
 * handler threw, or it had no room), as opposed to not being reached or not answering. Its
 * category and `recoverable` are the daemon's; `message` starts with the socket path.
 *
 * @example
 * ```ts
 * const error = new ControlReplyError("/run/user/1000/tether/focus.sock", {
 *   category: "not_configured", message: "nothing to pin", recoverable: false,
 * });
 * error.message; // "/run/user/1000/tether/focus.sock: nothing to pin"
 * error.reason; // "nothing to pin"
 * ```
 */
export class ControlReplyError extends ConnectionError {
  override name = "ControlReplyError";
  /** The daemon's own message, without the context that starts `message`. */
  readonly reason: string;

  /** `context` (the socket path, or the daemon's name) starts the message. */
  constructor(context: string, error: ControlErrorJson) {
    super(error.category, `${context}: ${error.message}`, { recoverable: error.recoverable });
    this.reason = error.message;
  }
}
