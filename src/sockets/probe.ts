import { i3ipcRequestOnce } from "../compositor/i3ipc_client.ts";
import { MessageType, parsePayload } from "../compositor/i3ipc_codec.ts";
import { niriVersion } from "../compositor/niri_client.ts";
import { probeKitty } from "../kitty/probe.ts";
import { type Clock, systemClock } from "../resilience/clock.ts";
import { connectStream } from "../resilience/connect_stream.ts";
import { requestControl } from "../resilience/control_socket.ts";
import { type DaemonStatus, parseDaemonStatus } from "../resilience/daemon_status.ts";
import { deadline } from "../resilience/deadline.ts";
import {
  type ConnectionError,
  type ErrorCategory,
  toConnectionError,
} from "../resilience/errors.ts";
import type { ProbeProtocol } from "./socket_kinds.ts";

/** What a successful probe learnt. */
export interface ProbeAnswer {
  /** A short description of the answer, e.g. `sway 1.7` or `kitty (password mode)`. */
  detail?: string;
  /** For tether daemons: their `status` reply. */
  daemon?: DaemonStatus;
  /** For kitty: whether its remote control wants a password (`password`) or not (`open`). */
  kittyRemoteControl?: "password" | "open";
}

/** The result of probing one socket. */
export type ProbeOutcome =
  | { answered: true; latencyMs: number; answer: ProbeAnswer }
  | { answered: false; latencyMs: number; category: ErrorCategory; error: string };

/**
 * Probes one path with one protocol, within `timeoutMs` on `clock`; throws a ConnectionError on
 * failure.
 */
export type Prober = (path: string, timeoutMs: number, clock: Clock) => Promise<ProbeAnswer>;

/**
 * The default probers: each protocol's cheapest request without side effects — sway/i3
 * `GET_VERSION`, niri `"Version"`, kitty's version probe (answered without a password and
 * without a prompt), tether's control-socket `status`; `connect` just connects and closes.
 */
const DEFAULT_PROBERS: Readonly<Record<ProbeProtocol, Prober>> = {
  i3ipc: async (path, timeoutMs, clock) => {
    const reply = await i3ipcRequestOnce(path, MessageType.GET_VERSION, "", { timeoutMs, clock });
    const version = parsePayload<{ human_readable?: unknown; variant?: unknown }>(reply);
    const name = version?.variant === "sway" ? "sway" : "i3";
    return { detail: `${name} ${String(version?.human_readable ?? "?")}` };
  },
  niri: async (path, timeoutMs, clock) => ({
    detail: `niri ${await niriVersion(path, { timeoutMs, clock })}`,
  }),
  kitty: async (path, timeoutMs, clock) => {
    const result = await probeKitty(path, { timeoutMs, clock });
    return {
      detail: `kitty (${result.mode === "open" ? "no password" : "password mode"})`,
      kittyRemoteControl: result.mode,
    };
  },
  tether: async (path, timeoutMs, clock) => {
    const status = parseDaemonStatus(await requestControl(path, "status", { timeoutMs, clock }));
    return { detail: `tether ${status.daemon}`, daemon: status };
  },
  connect: async (path, timeoutMs, clock) => {
    const socket = await connectStream({ path }, { timeoutMs, clock });
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
  /** The clock of the deadline and the latency. @default systemClock */
  clock?: Clock;
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
  const clock = options.clock ?? systemClock;
  const prober = options.probers?.[protocol] ?? DEFAULT_PROBERS[protocol];
  const started = clock.now();
  try {
    const answer = await deadline(prober(path, options.timeoutMs, clock), options.timeoutMs, {
      clock,
    });
    return { answered: true, latencyMs: clock.now() - started, answer };
  } catch (error) {
    const failure = toConnectionError(error, path);
    return {
      answered: false,
      latencyMs: clock.now() - started,
      category: failure.category,
      error: describeFailure(failure),
    };
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
