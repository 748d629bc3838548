import type { Clock } from "../resilience/clock.ts";
import { ConnectionError, toConnectionError } from "../resilience/errors.ts";
import { type KittyResponse, versionProbeCommand } from "./codec.ts";
import { DEFAULT_KITTY_TIMEOUT_MS, KittyConnection, type KittyConnector } from "./client.ts";
import { type KittyRefusal, kittyRefusal } from "./refusals.ts";

/**
 * The version sent by the liveness probe: newer than any kitty, so a kitty that checks it answers
 * with an error at once and runs nothing.
 */
export const LIVENESS_PROBE_VERSION: readonly [number, number, number] = [0, 99, 0];

/**
 * What a reply to a version probe says: the command ran (`ok`), one of kitty's refusals
 * (refusals.ts) that the probe tells apart, or anything else (`other`, also a denied request).
 */
export type ProbeReplyKind = "ok" | Exclude<KittyRefusal, "request_rejected"> | "other";

/**
 * Classifies a reply to a version probe by kitty's error text.
 *
 * @example
 * ```ts
 * probeReplyKind({ ok: false, error: "... newer than this kitty instance ..." }); // "newer_than_kitty"
 * ```
 */
export function probeReplyKind(response: KittyResponse): ProbeReplyKind {
  if (response.ok) return "ok";
  const refusal = kittyRefusal(response.error ?? "");
  return refusal === null || refusal === "request_rejected" ? "other" : refusal;
}

/**
 * What the liveness probe learnt: kitty's main loop answered, and whether it runs commands
 * without a password (`open`: `allow_remote_control yes|socket|socket-only`) or only with one
 * (`password`).
 */
export interface KittyProbeResult {
  /** `open`: commands run without a password; `password`: only encrypted with the password. */
  mode: "open" | "password";
  /** Round trip from connect to reply, in milliseconds. */
  latencyMs: number;
  /** kitty's reply text (an error message by design). */
  reply: string;
}

/** Options for {@link probeKitty}. */
export interface ProbeKittyOptions {
  /** Longest wait for connect and reply, in milliseconds (default 2000). */
  timeoutMs?: number;
  /** How to connect (default: node:net). */
  connector?: KittyConnector;
  /** Starts error messages (default `kitty at <socket path>`). */
  label?: string;
  /** The clock the connect and reply timeouts run on. @default systemClock */
  clock?: Clock;
}

/**
 * Checks that a kitty listens and its main thread answers, with no side effects and no password:
 * sends `{"cmd":"ls","version":[0,99,0]}` unencrypted. kitty checks authorisation before the
 * version, so in `password` mode the missing password earns an immediate "Remote control is
 * disabled" error (no Allow/Deny prompt: kitty prompts only for an unknown non-empty password),
 * and in `yes`/`socket`/`socket-only` mode the version check answers "newer than this kitty".
 * Either reply proves the socket and kitty's main loop alive in about 0.1 ms (kitty 0.26.5).
 * Failures are {@link ConnectionError}s: `not_configured` (no socket file), `refused` (stale
 * socket), `timeout` (hung or stopped kitty), `closed`, `protocol` (an unexpected reply).
 *
 * @example
 * ```ts
 * const { mode, latencyMs } = await probeKitty("/run/user/1000/kitty/kitty-4121.sock");
 * ```
 */
export async function probeKitty(
  socketPath: string,
  options: ProbeKittyOptions = {},
): Promise<KittyProbeResult> {
  const label = options.label ?? `kitty at ${socketPath}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_KITTY_TIMEOUT_MS;
  const started = performance.now();
  const response = await requestOnce(
    socketPath,
    versionProbeCommand(LIVENESS_PROBE_VERSION),
    { timeoutMs, label, connector: options.connector, clock: options.clock },
  );
  const latencyMs = performance.now() - started;
  const reply = response.error ?? "";
  const kind = probeReplyKind(response);
  if (kind === "newer_than_kitty") return { mode: "open", latencyMs, reply };
  if (kind === "remote_control_disabled") return { mode: "password", latencyMs, reply };
  throw new ConnectionError(
    "protocol",
    `${label}: unexpected reply to the version probe: ${JSON.stringify(response).slice(0, 200)}`,
  );
}

async function requestOnce(
  socketPath: string,
  message: object,
  options: { timeoutMs: number; label: string; connector?: KittyConnector; clock?: Clock },
): Promise<KittyResponse> {
  let connection: KittyConnection | undefined;
  try {
    connection = await KittyConnection.open(socketPath, {
      connectTimeoutMs: options.timeoutMs,
      label: options.label,
      connector: options.connector,
      clock: options.clock,
    });
    return await connection.request(message, { timeoutMs: options.timeoutMs });
  } catch (error) {
    throw toConnectionError(error, options.label);
  } finally {
    await connection?.close(options.timeoutMs);
  }
}
