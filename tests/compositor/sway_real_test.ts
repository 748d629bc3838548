/**
 * What real sway sends, once per peer set (Debian 12's sway 1.7, sid's current sway), through
 * tether's own i3-ipc client, reducer and sway focus source: the newer string fields of sway
 * >= 1.10 (`floating`, `scratchpad_state`, `foreign_toplevel_identifier`, `sandbox_*`, `tag`) in
 * GET_TREE and window events change nothing; `output` events exist only from sway 1.9 on (1.7
 * refuses the subscription) and the source ignores them; and `swaymsg exit` sends no `shutdown`
 * event (1.7 and 1.12 alike) — EOF alone says sway is gone, and the source reconnects.
 */
import assert from "node:assert/strict";
import { I3IpcClient, type I3IpcEvent } from "../../src/compositor/i3ipc_client.ts";
import { MessageType } from "../../src/compositor/i3ipc_codec.ts";
import type { FocusTransition } from "../../src/compositor/focus_source.ts";
import { startSwayFocusSource } from "../../src/compositor/sway_focus_source.ts";
import {
  INITIAL_SWAY_STATE,
  reduceSwayEvent,
  swayFocusFromTree,
  type SwayState,
} from "../../src/compositor/sway_state.ts";
import { exponentialPolicy } from "../../src/resilience/retry_policy.ts";
import { forEachPeerSet } from "../support/peer_set.ts";
import { startSway } from "../support/sway.ts";
import { waitFor } from "../support/wait.ts";

/** String fields sway 1.12 puts on every view; sway 1.7 has none of them. */
const NEWER_VIEW_FIELDS = [
  "floating",
  "scratchpad_state",
  "foreign_toplevel_identifier",
  "sandbox_engine",
  "sandbox_app_id",
  "sandbox_instance_id",
  "tag",
];

function focusedNode(node: unknown): Record<string, unknown> | undefined {
  const record = node as Record<string, unknown>;
  if (record.focused === true) return record;
  const children = [
    ...(record.nodes as unknown[] ?? []),
    ...(record.floating_nodes as unknown[] ?? []),
  ];
  return children.map(focusedNode).find((found) => found !== undefined);
}

forEachPeerSet((set) =>
  Deno.test({
    name: `real sway: newer fields, output events and no shutdown event ${set.label("sway")}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const hasOutputEvents = set.atLeast("sway", "1.9");
      const hasNewerFields = set.atLeast("sway", "1.12");
      const sway = await startSway({ peers: set });
      const events: I3IpcEvent[] = [];
      const transitions: FocusTransition[] = [];
      let client: I3IpcClient | null = null;
      const source = startSwayFocusSource({
        env: { SWAYSOCK: sway.socketPath, XDG_RUNTIME_DIR: sway.runtimeDir },
        onTransition: (transition) => transitions.push(transition),
        policy: exponentialPolicy({ initialDelayMs: 50, maxDelayMs: 200, jitter: "none" }),
      });
      try {
        client = await I3IpcClient.connect(sway.socketPath, { timeoutMs: 5000 });
        client.onEvent((event) => events.push(event));
        await client.subscribe(["window", "workspace", "shutdown"]);
        if (hasOutputEvents) await client.subscribe(["output"]);
        else await assert.rejects(client.subscribe(["output"]), /refused/);
        await waitFor("the source connected", () =>
          source.supervisor.state === "connected" ? true : undefined);

        // The test user's shell is nologin: give foot one that stays.
        assert.equal((await sway.exec("foot /bin/sh")).code, 0);
        const opened = await waitFor("foot's window", () =>
          events.find((event) =>
            event.name === "window" && (event.body as { change: string }).change === "focus"
          ));
        const container = (opened.body as { container: Record<string, unknown> }).container;
        for (const field of NEWER_VIEW_FIELDS) {
          assert.equal(field in container, hasNewerFields, `window event field ${field}`);
        }
        const tree = await client.requestJson(MessageType.GET_TREE);
        const focused = swayFocusFromTree(tree);
        const view = focusedNode(tree)!;
        for (const field of NEWER_VIEW_FIELDS) {
          assert.equal(field in view, hasNewerFields, `GET_TREE field ${field}`);
        }
        assert.equal(focused?.appId, "foot");
        assert.equal(typeof focused?.pid, "number");
        let state: SwayState = INITIAL_SWAY_STATE;
        for (const event of events) {
          if (event.name === "window" || event.name === "workspace") {
            state = reduceSwayEvent(state, event.name, event.body);
          }
        }
        assert.deepEqual(state.focused, focused);
        await waitFor("the source's transition to foot", () =>
          transitions.at(-1)?.focused?.pid === focused!.pid ? true : undefined);

        const transitionsBefore = transitions.length;
        assert.equal((await sway.swaymsg(["create_output"])).code, 0);
        if (hasOutputEvents) {
          await waitFor("an output event", () =>
            events.some((event) =>
                event.name === "output"
              )
              ? true
              : undefined);
        }
        assert.equal(transitions.length, transitionsBefore, "an output change moves no focus");

        await sway.swaymsg(["exit"]); // sway answers nothing to this and exits
        const ended = await client.closed;
        assert.equal(ended?.category, "closed", String(ended?.message));
        assert.equal(
          events.filter((event) =>
            event.name === "shutdown"
          ).length,
          0,
        );
        await waitFor("the source reconnecting after EOF", () =>
          source.supervisor.state === "reconnecting" ? true : undefined);
      } finally {
        client?.close();
        await source.close();
        await sway.stop();
      }
    },
  })
);
