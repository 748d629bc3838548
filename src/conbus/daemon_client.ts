import { join } from "node:path";
import { type Environment, tetherRuntimeDir } from "../platform/paths.ts";
import { ConfigError } from "../platform/config_error.ts";
import { ControlReplyError } from "../resilience/control_protocol.ts";
import { requestControl } from "../resilience/control_socket.ts";
import { parseDaemonStatus } from "../resilience/daemon_status.ts";
import { ConnectionError } from "../resilience/errors.ts";
import type { ConbusStatus } from "./conbus_status.ts";
import type { DaemonSendReply, DaemonSendRequest } from "./daemon_protocol.ts";

/**
 * How long a client waits for `serve`'s reply beyond its own timeout: only the reply's trip
 * over the local socket. `serve` counts the request's timeout from its arrival (time in the
 * queue included), so the client never waits on a stopped, busy or slow serve past its own
 * `--timeout` (it used to allow 30 s more).
 */
export const REPLY_ALLOWANCE_MS = 250;

/**
 * The control socket of `tether conbus serve`: `$XDG_RUNTIME_DIR/tether/conbus.sock`, or null
 * when `XDG_RUNTIME_DIR` is not usable (then there is no daemon to find).
 */
export function conbusSocketPath(env: Environment): string | null {
  try {
    return join(tetherRuntimeDir(env), "conbus.sock");
  } catch (error) {
    if (error instanceof ConfigError) return null;
    throw error;
  }
}

/**
 * Sends through a running `tether conbus serve`. Resolves null when no daemon listens (no
 * socket, or a leftover one), so the caller can connect directly; otherwise the daemon's reply
 * (which may decline a request for another bridge). A daemon that is up but did not take the
 * request (bridge disconnected, queue full, shutting down) rejects with a
 * {@link ControlReplyError} in its category, worded `tether conbus serve: …`: it sent nothing.
 * Any other rejection came after the request may have reached it.
 *
 * @example
 * ```ts
 * const reply = await sendViaDaemon(path, { telegrams: ["S0020044964F02D12"], timeout_ms: 2000, quiet_ms: 500 });
 * ```
 */
export async function sendViaDaemon(
  socketPath: string,
  request: DaemonSendRequest,
): Promise<DaemonSendReply | null> {
  try {
    return await requestControl(socketPath, "send", {
      args: { ...request },
      timeoutMs: request.timeout_ms + REPLY_ALLOWANCE_MS,
    }) as DaemonSendReply;
  } catch (error) {
    if (error instanceof ControlReplyError) {
      throw new ControlReplyError("tether conbus serve", {
        category: error.category,
        message: error.reason,
        recoverable: error.recoverable,
      });
    }
    if (
      error instanceof ConnectionError &&
      (error.category === "not_configured" || error.category === "refused")
    ) {
      return null;
    }
    throw error;
  }
}

/**
 * The PID and bridge of the `serve` answering on `socketPath`, or null when none answers (or
 * something else does).
 */
export async function daemonStatus(
  socketPath: string,
): Promise<Pick<ConbusStatus, "pid" | "endpoint"> | null> {
  try {
    const status = parseDaemonStatus(
      await requestControl(socketPath, "status", { timeoutMs: 1000 }),
    );
    const endpoint = (status as Partial<ConbusStatus>).endpoint;
    return typeof endpoint === "string" ? { pid: status.pid, endpoint } : null;
  } catch {
    return null;
  }
}
