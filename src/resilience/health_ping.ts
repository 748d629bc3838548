import type { Clock } from "./clock.ts";
import { deadline } from "./deadline.ts";
import { type ConnectionError, toConnectionError } from "./errors.ts";

/** One health ping's outcome: answered (with its latency) or failed. */
export type HealthPingResult =
  | { ok: true; latencyMs: number; at: number }
  | { ok: false; error: ConnectionError; at: number };

/** Options for {@link pingUntilFailure}; durations in ms. */
export interface HealthPingOptions<C> {
  /** The connection to check. */
  connection: C;
  /** The probe; its duration is the latency. A throw counts as a failure. */
  ping(connection: C, signal: AbortSignal): Promise<void> | void;
  /** Names the target in messages ("sway"). */
  name: string;
  /** Time between the end of one ping and the start of the next. */
  intervalMs: number;
  /** A ping without an answer this long fails with `timeout`. */
  timeoutMs: number;
  /** Waits and timestamps. */
  clock: Clock;
  /** Ends the pinging (the returned promise then never settles). */
  signal: AbortSignal;
  /** Told every outcome, the failing one included. */
  onResult(result: HealthPingResult): void;
}

/**
 * Pings `connection` every `intervalMs` (on unref'd waits: pinging alone keeps no process
 * alive) until a ping fails — then resolves with its error — or `signal` aborts, after which it
 * never settles, so it can race a connection's other ways of ending.
 *
 * @example
 * ```ts
 * const loss = await Promise.race([closed, pingUntilFailure({ connection, ping, name: "sway",
 *   intervalMs: 30_000, timeoutMs: 5_000, clock, signal, onResult: (result) => log(result) })]);
 * ```
 */
export async function pingUntilFailure<C>(options: HealthPingOptions<C>): Promise<ConnectionError> {
  const { clock, signal, name, timeoutMs } = options;
  const never = () => new Promise<never>(() => {});
  for (;;) {
    try {
      await clock.sleep(options.intervalMs, signal, { unref: true });
    } catch {
      return never();
    }
    const started = clock.now();
    try {
      await deadline(
        (pingSignal) => Promise.resolve().then(() => options.ping(options.connection, pingSignal)),
        timeoutMs,
        {
          clock,
          signal,
          unref: true,
          timeoutMessage: `${name}: no answer to the health ping within ${timeoutMs} ms`,
        },
      );
      if (signal.aborted) return never();
      const at = clock.now();
      options.onResult({ ok: true, latencyMs: at - started, at });
    } catch (error) {
      if (signal.aborted) return never();
      const failure = toConnectionError(error, `${name}: health ping`);
      options.onResult({ ok: false, error: failure, at: clock.now() });
      return failure;
    }
  }
}
