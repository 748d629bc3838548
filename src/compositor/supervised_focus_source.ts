import { systemClock } from "../resilience/clock.ts";
import { ConnectionError } from "../resilience/errors.ts";
import { Supervisor } from "../resilience/supervisor.ts";
import { findCompositorSocket } from "./compositor_socket.ts";
import type { CompositorKind } from "./compositors.ts";
import {
  FOCUS_RECONNECT_POLICY,
  type FocusedWindow,
  type FocusSource,
  type FocusSourceOptions,
  focusTransitions,
} from "./focus_source.ts";

/** Reports the newest focus; repeats of the current focus cause no transition. */
export type ReportFocus = (focused: FocusedWindow | null) => void;

/** What a compositor adds to {@link startSupervisedFocusSource}: its connection and protocol. */
export interface FocusSourceProtocol<C> {
  /** Which compositor (discovery kind, supervisor name, message prefix). */
  kind: CompositorKind;
  /** What the connection is called when it ends without an error ("event stream"). */
  connectionName: string;
  /**
   * Connects to the discovered socket `path`. `closed` resolves when the connection ends (with
   * the error, or null for a clean end). Focus found on the way goes to `report`.
   */
  open(
    path: string,
    report: ReportFocus,
  ): Promise<{ connection: C; closed: Promise<ConnectionError | null> }>;
  /** After every (re)connect, before `connected`: subscribe, read the state (then `report`). */
  restore?(connection: C, report: ReportFocus): Promise<void>;
  /** Health check. */
  ping(connection: C, path: string): Promise<void>;
  /** Closes the connection. */
  disconnect(connection: C): void;
}

/**
 * Runs a compositor focus source under the shared supervisor — the part niri and sway share:
 * discover the socket on every (re)connect (a restarted compositor has a new path), reconnect
 * with {@link FOCUS_RECONNECT_POLICY} forever, health-ping, turn reported focus into
 * transitions (no repeats), and pass a connection that ended with a `protocol` error (an
 * unusable line) to `onProblem` before reconnecting.
 *
 * @example
 * ```ts
 * const source = startSupervisedFocusSource(options, {
 *   kind: "niri", connectionName: "event stream", open, ping, disconnect,
 * });
 * ```
 */
export function startSupervisedFocusSource<C>(
  options: FocusSourceOptions,
  protocol: FocusSourceProtocol<C>,
): FocusSource {
  const { kind } = protocol;
  const timeoutMs = options.timeoutMs ?? 2000;
  let reported: FocusedWindow | null = null;
  const next = focusTransitions();
  let socketPath: string | null = null;
  const report: ReportFocus = (focused) => {
    reported = focused;
    const transition = next(focused);
    if (transition !== null) options.onTransition(transition);
  };

  const supervisor = new Supervisor<{ path: string; connection: C }>({
    name: kind,
    clock: options.clock ?? systemClock,
    policy: options.policy ?? FOCUS_RECONNECT_POLICY,
    retryable: () => true,
    healthIntervalMs: options.healthIntervalMs ?? 15_000,
    pingTimeoutMs: timeoutMs,
    async connect() {
      const found = await findCompositorSocket(kind, options.env, { timeoutMs });
      socketPath = found.path;
      const { connection, closed } = await protocol.open(found.path, report);
      return {
        connection: { path: found.path, connection },
        closed: closed.then((reason) => {
          if (reason !== null && reason.category === "protocol") options.onProblem?.(reason);
          return reason ??
            new ConnectionError(
              "closed",
              `${kind} ${found.path}: ${protocol.connectionName} closed`,
            );
        }),
      };
    },
    restore: protocol.restore &&
      ((current) => protocol.restore!(current.connection, report)),
    ping: (current) => protocol.ping(current.connection, current.path),
    disconnect: (current) => protocol.disconnect(current.connection),
  });
  supervisor.start();
  return {
    kind,
    supervisor: supervisor as Supervisor<unknown>,
    socketPath: () => socketPath,
    current: () => reported,
    reconnectNow: () => supervisor.reconnectNow(),
    close: () => supervisor.stop(),
  };
}
