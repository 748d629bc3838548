import { i3ipcRequestOnce } from "../compositor/i3ipc_client.ts";
import { MessageType, parsePayload } from "../compositor/i3ipc_codec.ts";
import { niriVersion } from "../compositor/niri_client.ts";
import { connectUnix } from "../resilience/unix_connect.ts";
import { probeKitty } from "../kitty/probe.ts";
import { requestControl } from "../resilience/control_socket.ts";
import { type DaemonStatus, parseDaemonStatus } from "../resilience/daemon_status.ts";
import { ConnectionError, type ErrorCategory, toConnectionError } from "../resilience/errors.ts";
import type { ProbeProtocol } from "./socket_entry.ts";

/** What a successful probe learnt. */
export interface ProbeAnswer {
  /** A short description of the answer, e.g. `sway 1.7` or `kitty (password mode)`. */
  detail?: string;
  /** For tether daemons: their `status` reply. */
  daemon?: DaemonStatus;
}

/** The result of probing one socket. */
export type ProbeOutcome =
  | { answered: true; latencyMs: number; answer: ProbeAnswer }
  | { answered: false; latencyMs: number; category: ErrorCategory; error: string };

/** Probes one path with one protocol, within `timeoutMs`; throws a ConnectionError on failure. */
export type Prober = (path: string, timeoutMs: number) => Promise<ProbeAnswer>;

/**
 * The default probers: each protocol's cheapest request without side effects — sway/i3
 * `GET_VERSION`, niri `"Version"`, kitty's version probe (answered without a password and
 * without a prompt), tether's control-socket `status`; `connect` just connects and closes.
 */
export const DEFAULT_PROBERS: Readonly<Record<ProbeProtocol, Prober>> = {
  i3ipc: async (path, timeoutMs) => {
    const reply = await i3ipcRequestOnce(path, MessageType.GET_VERSION, "", { timeoutMs });
    const version = parsePayload<{ human_readable?: unknown; variant?: unknown }>(reply);
    const name = version?.variant === "sway" ? "sway" : "i3";
    return { detail: `${name} ${String(version?.human_readable ?? "?")}` };
  },
  niri: async (path, timeoutMs) => ({ detail: `niri ${await niriVersion(path, { timeoutMs })}` }),
  kitty: async (path, timeoutMs) => {
    const result = await probeKitty(path, { timeoutMs });
    return { detail: `kitty (${result.mode === "open" ? "no password" : "password mode"})` };
  },
  tether: async (path, timeoutMs) => {
    const status = parseDaemonStatus(await requestControl(path, "status", { timeoutMs }));
    return { detail: `tether ${status.daemon}`, daemon: status };
  },
  connect: async (path, timeoutMs) => {
    const socket = await connectUnix(path, { timeoutMs });
    socket.destroy();
    return {};
  },
};

/** Options for {@link probeSocket}. */
export interface ProbeSocketOptions {
  /** Deadline for the whole probe (connect + reply). */
  timeoutMs: number;
  /** Probers by protocol (tests inject fakes); missing ones are {@link DEFAULT_PROBERS}. */
  probers?: Readonly<Partial<Record<ProbeProtocol, Prober>>>;
  /** Milliseconds clock. Default `performance.now`. */
  now?: () => number;
}

/**
 * Probes a socket and never throws: the outcome says whether it answered, how fast, and if
 * not, the error category (`refused` = nothing listens; `timeout` = hung; `auth` = EACCES,
 * someone else's socket; ...). The deadline is enforced here too, so a prober that ignores
 * its timeout cannot hold up a report.
 */
export async function probeSocket(
  path: string,
  protocol: ProbeProtocol,
  options: ProbeSocketOptions,
): Promise<ProbeOutcome> {
  const now = options.now ?? (() => performance.now());
  const prober = options.probers?.[protocol] ?? DEFAULT_PROBERS[protocol];
  const started = now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ConnectionError("timeout", `no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
  });
  try {
    const answer = await Promise.race([prober(path, options.timeoutMs), deadline]);
    return { answered: true, latencyMs: now() - started, answer };
  } catch (error) {
    const failure = toConnectionError(error, path);
    return {
      answered: false,
      latencyMs: now() - started,
      category: failure.category,
      error: describeFailure(failure),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** A one-line, user-facing description of a probe failure. */
function describeFailure(error: ConnectionError): string {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  switch (error.category) {
    case "refused":
      return "connection refused: nothing listens on this socket";
    case "timeout":
      return "connected but no answer before the timeout (peer hung or stopped?)";
    case "busy":
      return "peer's listen backlog is full (EAGAIN): it is not accepting connections";
    case "auth":
      return code === "EACCES" || code === "EPERM"
        ? "permission denied: the socket belongs to another user"
        : error.message;
    case "not_configured":
      return code === "ENOENT" ? "socket file does not exist" : error.message;
    default:
      return error.message;
  }
}
