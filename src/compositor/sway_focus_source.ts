import { systemClock } from "../resilience/clock.ts";
import { ConnectionError, toConnectionError } from "../resilience/errors.ts";
import { Supervisor } from "../resilience/supervisor.ts";
import { findCompositorSocket } from "./compositor_socket.ts";
import {
  FOCUS_RECONNECT_POLICY,
  type FocusedWindow,
  type FocusSource,
  type FocusSourceOptions,
  focusTransitions,
} from "./focus_source.ts";
import { I3IpcClient, type I3IpcEvent } from "./i3ipc_client.ts";
import { MessageType } from "./i3ipc_codec.ts";
import {
  INITIAL_SWAY_STATE,
  reduceSwayEvent,
  swayFocusFromTree,
  type SwayState,
} from "./sway_state.ts";

/**
 * Follows sway's focus: on the socket found by discovery (again on every reconnect), SUBSCRIBE
 * `window` + `workspace`, then GET_TREE for the current focus (sway sends no initial state),
 * then fold events through the sway reducer. Events that arrive while GET_TREE is answered are
 * replayed on top of the tree in order, so the final focus is the newest one either way. An
 * event the reducer cannot use is reported through `onProblem` and skipped; a payload the
 * client cannot decode ends the connection, and the source reconnects and re-reads the tree.
 * Health: GET_VERSION on the same connection.
 *
 * @example
 * ```ts
 * const source = startSwayFocusSource({ env: process.env, onTransition: (t) => console.log(t) });
 * await source.close();
 * ```
 */
export function startSwayFocusSource(options: FocusSourceOptions): FocusSource {
  const timeoutMs = options.timeoutMs ?? 2000;
  let state: SwayState = INITIAL_SWAY_STATE;
  let reported: FocusedWindow | null = null;
  const next = focusTransitions();
  let socketPath: string | null = null;

  const apply = (event: I3IpcEvent) => {
    if (event.name !== "window" && event.name !== "workspace") return;
    try {
      state = reduceSwayEvent(state, event.name, event.body);
    } catch (error) {
      options.onProblem?.(toConnectionError(error, "sway"));
    }
  };
  const report = () => {
    reported = state.focused;
    const transition = next(reported);
    if (transition !== null) options.onTransition(transition);
  };

  const supervisor = new Supervisor<I3IpcClient>({
    name: "sway",
    clock: options.clock ?? systemClock,
    policy: options.policy ?? FOCUS_RECONNECT_POLICY,
    retryable: () => true,
    healthIntervalMs: options.healthIntervalMs ?? 15_000,
    pingTimeoutMs: timeoutMs,
    async connect() {
      const found = await findCompositorSocket("sway", options.env, { timeoutMs });
      socketPath = found.path;
      const client = await I3IpcClient.connect(found.path, {
        timeoutMs,
        context: `sway ${found.path}`,
      });
      const closed = client.closed.then((reason) => {
        if (reason !== null && reason.category === "protocol") options.onProblem?.(reason);
        return reason ?? new ConnectionError("closed", `sway ${found.path}: connection closed`);
      });
      return { connection: client, closed };
    },
    async restore(client) {
      const early: I3IpcEvent[] = [];
      let synced = false;
      client.onEvent((event) => {
        if (!synced) {
          early.push(event);
          return;
        }
        apply(event);
        report();
      });
      await client.subscribe(["window", "workspace"]);
      const tree = await client.requestJson(MessageType.GET_TREE);
      state = { focused: swayFocusFromTree(tree) };
      for (const event of early) apply(event);
      synced = true;
      report();
    },
    async ping(client) {
      await client.request(MessageType.GET_VERSION);
    },
    disconnect(client) {
      client.close();
    },
  });
  supervisor.start();
  return {
    kind: "sway",
    supervisor: supervisor as Supervisor<unknown>,
    socketPath: () => socketPath,
    current: () => reported,
    reconnectNow: () => supervisor.reconnectNow(),
    close: () => supervisor.stop(),
  };
}
