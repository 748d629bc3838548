import { ConnectionError, toConnectionError } from "../resilience/errors.ts";
import { type KittyCommand, type KittyResponse, versionProbeCommand } from "./codec.ts";
import { DEFAULT_KITTY_TIMEOUT_MS, KittyConnection, type KittyConnector } from "./client.ts";

/**
 * The version sent by the liveness probe: newer than any kitty, so a kitty that checks it answers
 * with an error at once and runs nothing.
 */
export const LIVENESS_PROBE_VERSION: readonly [number, number, number] = [0, 99, 0];

/**
 * The version sent to tell whether persistent connections are safe. kitty accepts a protocol
 * version only up to its own `[major, minor]`, so kitty >= 0.43 runs the (harmless) `ls` and older
 * kitty says "newer than this kitty". The fix that makes pooling safe shipped in 0.42.2; 0.42.2 to
 * 0.42.x are therefore classified as unsafe — conservative, never wrong in the harmful direction.
 */
export const POOLING_PROBE_VERSION: readonly [number, number, number] = [0, 43, 0];

/** The error kitty answers a request whose version is newer than its own with. */
const NEWER_THAN_KITTY = /newer than this kitty/i;
/** kitty's answer to an unauthenticated request when it requires a password (0.26 to HEAD). */
const REMOTE_CONTROL_DISABLED = /remote control is disabled/i;
/** kitty's answer when a known password does not allow the command, or the user denied it. */
const PASSWORD_REJECTED = /rejected this password|disallowed by remote_control_password/i;

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
    { timeoutMs, label, connector: options.connector },
  );
  const latencyMs = performance.now() - started;
  const reply = response.error ?? "";
  if (!response.ok && NEWER_THAN_KITTY.test(reply)) return { mode: "open", latencyMs, reply };
  if (!response.ok && REMOTE_CONTROL_DISABLED.test(reply)) {
    return { mode: "password", latencyMs, reply };
  }
  throw new ConnectionError(
    "protocol",
    `${label}: unexpected reply to the version probe: ${JSON.stringify(response).slice(0, 200)}`,
  );
}

/**
 * Interprets the reply to a {@link POOLING_PROBE_VERSION} request (sent encrypted in password
 * mode, since kitty checks authorisation first): true when kitty ran it (kitty >= 0.43, pooling
 * safe), false for "newer than this kitty" (pooling unsafe). A rejected password is `auth`;
 * anything else is `protocol`. A heuristic built on kitty's error text; see README.
 */
export function poolingSafeFromReply(response: KittyResponse, label: string): boolean {
  if (response.ok) return true;
  const reply = response.error ?? "";
  if (NEWER_THAN_KITTY.test(reply)) return false;
  if (PASSWORD_REJECTED.test(reply) || REMOTE_CONTROL_DISABLED.test(reply)) {
    throw new ConnectionError(
      "auth",
      `${label}: kitty rejected the password (${reply}); check ~/.config/kitty/rc.password and ` +
        "remote_control_password in kitty.conf",
    );
  }
  throw new ConnectionError(
    "protocol",
    `${label}: unexpected reply to the version check: ${reply}`,
  );
}

/** The command behind the pooling check: `ls` carrying {@link POOLING_PROBE_VERSION}. */
export function poolingProbeCommand(): KittyCommand {
  return versionProbeCommand(POOLING_PROBE_VERSION);
}

/** Options for {@link probePoolingSafe}. */
export interface ProbePoolingOptions extends ProbeKittyOptions {
  /**
   * Wraps the command for a password-mode kitty (see crypto.ts); without it the command goes
   * unencrypted, which only an `open`-mode kitty answers usefully.
   */
  encrypt?: (command: KittyCommand) => Promise<object>;
}

/**
 * Whether kitty is new enough (>= 0.43, see {@link POOLING_PROBE_VERSION}) for tether to keep
 * connections open, decided by one cheap version-probe request. In password mode pass `encrypt`:
 * an unencrypted request never reaches kitty's version check there. A heuristic that relies on
 * kitty's "newer than this kitty" error text.
 */
export async function probePoolingSafe(
  socketPath: string,
  options: ProbePoolingOptions = {},
): Promise<boolean> {
  const label = options.label ?? `kitty at ${socketPath}`;
  const command = poolingProbeCommand();
  const message = options.encrypt ? await options.encrypt(command) : command;
  const response = await requestOnce(socketPath, message, {
    timeoutMs: options.timeoutMs ?? DEFAULT_KITTY_TIMEOUT_MS,
    label,
    connector: options.connector,
  });
  return poolingSafeFromReply(response, label);
}

async function requestOnce(
  socketPath: string,
  message: object,
  options: { timeoutMs: number; label: string; connector?: KittyConnector },
): Promise<KittyResponse> {
  let connection: KittyConnection | undefined;
  try {
    connection = await KittyConnection.open(socketPath, {
      connectTimeoutMs: options.timeoutMs,
      label: options.label,
      connector: options.connector,
    });
    return await connection.request(message, { timeoutMs: options.timeoutMs });
  } catch (error) {
    throw toConnectionError(error, options.label);
  } finally {
    await connection?.close(options.timeoutMs);
  }
}
