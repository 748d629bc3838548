import { systemClock } from "../resilience/clock.ts";
import { ConnectionError } from "../resilience/errors.ts";
import { Supervisor } from "../resilience/supervisor.ts";
import { findCompositorSocket } from "./compositor_socket.ts";
import {
  FOCUS_RECONNECT_POLICY,
  type FocusedWindow,
  type FocusSource,
  type FocusSourceOptions,
  focusTransitions,
} from "./focus_source.ts";
import { type NiriEventStream, niriVersion, openNiriEventStream } from "./niri_client.ts";
import {
  INITIAL_NIRI_STATE,
  niriFocusedWindow,
  type NiriState,
  reduceNiriEvent,
} from "./niri_state.ts";

interface NiriConnection {
  path: string;
  stream: NiriEventStream;
}

/**
 * Follows niri's focus: opens `"EventStream"` on the socket found by discovery (again on every
 * reconnect), folds events through the niri reducer, and reports focus transitions. The stream's
 * initial burst re-reads the whole window state after each reconnect, so nothing is missed while
 * niri was away. A malformed or oversized line ends the stream (the line splitter cannot resync
 * inside a line); it is reported through `onProblem` and the source reconnects and re-reads the
 * state — it never crashes. Health: `"Version"` on a second connection.
 *
 * @example
 * ```ts
 * const source = startNiriFocusSource({ env: process.env, onTransition: (t) => console.log(t) });
 * await source.close();
 * ```
 */
export function startNiriFocusSource(options: FocusSourceOptions): FocusSource {
  const timeoutMs = options.timeoutMs ?? 2000;
  let state: NiriState = INITIAL_NIRI_STATE;
  let reported: FocusedWindow | null = null;
  const next = focusTransitions();
  let socketPath: string | null = null;

  const supervisor = new Supervisor<NiriConnection>({
    name: "niri",
    clock: options.clock ?? systemClock,
    policy: options.policy ?? FOCUS_RECONNECT_POLICY,
    retryable: () => true,
    healthIntervalMs: options.healthIntervalMs ?? 15_000,
    pingTimeoutMs: timeoutMs,
    async connect() {
      const found = await findCompositorSocket("niri", options.env, { timeoutMs });
      socketPath = found.path;
      const stream = await openNiriEventStream(found.path, {
        timeoutMs,
        context: `niri ${found.path}`,
      });
      // A fresh stream starts with the full state: take focus only from its WindowsChanged on.
      state = INITIAL_NIRI_STATE;
      let synced = false;
      // events() also yields the burst lines that arrived with the {"Ok":"Handled"} reply.
      (async () => {
        for await (const event of stream.events()) {
          state = reduceNiriEvent(state, event);
          if (event.type === "WindowsChanged") synced = true;
          if (!synced) continue;
          reported = niriFocusedWindow(state);
          const transition = next(reported);
          if (transition !== null) options.onTransition(transition);
        }
      })().catch(() => {}); // the stream's end is reported through `closed`
      const closed = stream.closed.then((reason) => {
        if (reason !== null && reason.category === "protocol") options.onProblem?.(reason);
        return reason ?? new ConnectionError("closed", `niri ${found.path}: event stream closed`);
      });
      return { connection: { path: found.path, stream }, closed };
    },
    async ping(connection) {
      await niriVersion(connection.path, { timeoutMs, context: `niri ${connection.path}` });
    },
    disconnect(connection) {
      connection.stream.close();
    },
  });
  supervisor.start();
  return {
    kind: "niri",
    supervisor: supervisor as Supervisor<unknown>,
    socketPath: () => socketPath,
    current: () => reported,
    reconnectNow: () => supervisor.reconnectNow(),
    close: () => supervisor.stop(),
  };
}
