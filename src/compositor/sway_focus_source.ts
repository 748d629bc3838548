import { toConnectionError } from "../resilience/errors.ts";
import type { FocusSource, FocusSourceOptions } from "./focus_source.ts";
import { I3IpcClient, type I3IpcEvent } from "./i3ipc_client.ts";
import { MessageType } from "./i3ipc_codec.ts";
import {
  INITIAL_SWAY_STATE,
  reduceSwayEvent,
  swayFocusFromTree,
  swayOpenedWindow,
  type SwayState,
} from "./sway_state.ts";
import { startSupervisedFocusSource } from "./supervised_focus_source.ts";

/**
 * Follows sway's focus (see {@link startI3IpcFocusSource}).
 *
 * @example
 * ```ts
 * const source = startSwayFocusSource({ env: process.env, onTransition: (t) => console.log(t) });
 * await source.close();
 * ```
 */
export function startSwayFocusSource(options: FocusSourceOptions): FocusSource {
  return startI3IpcFocusSource(options, "sway");
}

/**
 * Follows i3's focus (see {@link startI3IpcFocusSource}). i3 reports no PIDs; its windows carry
 * their X11 window id, which kitty reports as its OS window's `platform_window_id`.
 *
 * @example
 * ```ts
 * const source = startI3FocusSource({ env: process.env, onTransition: (t) => console.log(t) });
 * await source.close();
 * ```
 */
export function startI3FocusSource(options: FocusSourceOptions): FocusSource {
  return startI3IpcFocusSource(options, "i3");
}

/**
 * Follows sway's or i3's focus (one protocol, one reducer): on the socket found by discovery (again on every reconnect), SUBSCRIBE
 * `window` + `workspace`, then GET_TREE for the current focus (sway sends no initial state),
 * then fold events through the sway reducer. Events that arrive while GET_TREE is answered are
 * replayed on top of the tree in order, so the final focus is the newest one either way. An
 * event whose payload is not JSON, or that the reducer cannot use, is reported through
 * `onProblem` and skipped; only broken framing (a payload over the size limit) ends the
 * connection, and the source reconnects and re-reads the tree.
 * Health: GET_VERSION on the same connection.
 */
function startI3IpcFocusSource(options: FocusSourceOptions, kind: "sway" | "i3"): FocusSource {
  const timeoutMs = options.timeoutMs ?? 2000;
  let state: SwayState = INITIAL_SWAY_STATE;
  const apply = (event: I3IpcEvent) => {
    if (event.name !== "window" && event.name !== "workspace") return;
    try {
      state = reduceSwayEvent(state, event.name, event.body);
    } catch (error) {
      options.onProblem?.(toConnectionError(error, kind));
    }
  };

  return startSupervisedFocusSource<I3IpcClient>(options, {
    kind,
    connectionName: "connection",
    async open(path) {
      const client = await I3IpcClient.connect(path, {
        timeoutMs,
        context: `${kind} ${path}`,
        onSkipped: options.onProblem,
      });
      return { connection: client, closed: client.closed };
    },
    async restore(client, report) {
      const early: I3IpcEvent[] = [];
      let synced = false;
      client.onEvent((event) => {
        if (!synced) {
          early.push(event);
          return;
        }
        apply(event);
        report(state.focused);
        const opened = event.name === "window" ? swayOpenedWindow(event.body) : null;
        if (opened !== null) options.onWindowOpened?.(opened);
      });
      await client.subscribe(["window", "workspace"]);
      const tree = await client.requestJson(MessageType.GET_TREE);
      state = { focused: swayFocusFromTree(tree) };
      for (const event of early) apply(event);
      synced = true;
      report(state.focused);
    },
    async ping(client) {
      await client.request(MessageType.GET_VERSION);
    },
    disconnect(client) {
      client.close();
    },
  });
}
