import type { FocusSource, FocusSourceOptions } from "./focus_source.ts";
import { type NiriEventStream, niriVersion, openNiriEventStream } from "./niri_client.ts";
import {
  INITIAL_NIRI_STATE,
  niriFocusedWindow,
  niriOpenedWindow,
  type NiriState,
  reduceNiriEvent,
} from "./niri_state.ts";
import { startSupervisedFocusSource } from "./supervised_focus_source.ts";

/**
 * Follows niri's focus: opens `"EventStream"` on the socket found by discovery (again on every
 * reconnect), folds events through the niri reducer, and reports focus transitions. The stream's
 * initial burst re-reads the whole window state after each reconnect, so nothing is missed while
 * niri was away. A malformed, unusable or oversized line is reported through `onProblem` and
 * skipped; the stream goes on with the next line — it never crashes. Health: `"Version"` on a
 * second connection.
 *
 * @example
 * ```ts
 * const source = startNiriFocusSource({ env: process.env, onTransition: (t) => console.log(t) });
 * await source.close();
 * ```
 */
export function startNiriFocusSource(options: FocusSourceOptions): FocusSource {
  const timeoutMs = options.timeoutMs ?? 2000;
  return startSupervisedFocusSource<NiriEventStream>(options, {
    kind: "niri",
    connectionName: "event stream",
    async open(path, report) {
      const stream = await openNiriEventStream(path, {
        timeoutMs,
        context: `niri ${path}`,
        onSkipped: options.onProblem,
      });
      // A fresh stream starts with the full state: take focus only from its WindowsChanged on.
      let state: NiriState = INITIAL_NIRI_STATE;
      let synced = false;
      // events() also yields the burst lines that arrived with the {"Ok":"Handled"} reply.
      (async () => {
        for await (const event of stream.events()) {
          const opened = synced ? niriOpenedWindow(state, event) : null;
          state = reduceNiriEvent(state, event);
          if (event.type === "WindowsChanged") synced = true;
          if (synced) report(niriFocusedWindow(state));
          if (opened !== null) options.onWindowOpened?.(opened);
        }
      })().catch(() => {}); // the stream's end is reported through `closed`
      return { connection: stream, closed: stream.closed };
    },
    async ping(_stream, path) {
      await niriVersion(path, { timeoutMs, context: `niri ${path}` });
    },
    disconnect(stream) {
      stream.close();
    },
  });
}
