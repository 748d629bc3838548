/**
 * niri conformance without niri: the fake niri's every line, every request tether sends and the
 * codec fixtures are checked against niri-ipc's own JSON Schema (tests/support/niri_schema.ts).
 * What is newer than that niri-ipc is listed there by name and must really occur (so the list
 * cannot rot into a blanket excuse).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { niriRequest, niriVersion } from "../../src/compositor/niri_client.ts";
import { encodeNiriRequest } from "../../src/compositor/niri_codec.ts";
import { startNiriFocusSource } from "../../src/compositor/niri_focus_source.ts";
import { exponentialPolicy } from "../../src/resilience/retry_policy.ts";
import { startFakeNiri } from "../fakes/niri_server.ts";
import {
  NEWER_THAN_SCHEMA,
  NIRI_IPC_SCHEMA_VERSION,
  type NiriLineKind,
  niriSchema,
} from "../support/niri_schema.ts";
import { NIRI_LINES } from "./niri_fixtures.ts";
import { tempDir } from "../support/temp_dir.ts";
import { sleep } from "../support/wait.ts";

const schema = niriSchema();

function assertConforms(kind: NiriLineKind, line: string, newer: Set<string>): void {
  const verdict = schema.check(kind, line);
  if (verdict.valid === "newer") newer.add(verdict.event);
  else {assert.ok(
      verdict.valid,
      `${kind} ${line.slice(0, 200)}: ${"errors" in verdict ? verdict.errors : ""}`,
    );}
}

Deno.test("the schema fixture is niri-ipc's, and it is strict enough to catch a bad line", () => {
  assert.equal(schema.version, NIRI_IPC_SCHEMA_VERSION);
  assert.deepEqual(schema.check("event", '{"WindowClosed":{"id":3}}'), { valid: true });
  for (
    const [kind, bad] of [
      ["event", '{"WindowClosed":{"id":"3"}}'],
      ["event", '{"WindowClosed":{"id":3,"extra":true}}'],
      ["event", '{"NoSuchEvent":{}}'],
      ["request", '"NoSuchRequest"'],
      ["reply", '{"Ok":{"Version":3}}'],
    ] as const
  ) {
    assert.equal(schema.check(kind, bad).valid, false, bad);
  }
});

Deno.test("every codec fixture line conforms; the newer ones are exactly those listed", () => {
  const newer = new Set<string>();
  for (const { kind, line } of Object.values(NIRI_LINES)) assertConforms(kind, line, newer);
  assert.deepEqual([...newer], ["WindowFocusTimestampChanged"]);
});

Deno.test("every line the fake niri sends and every request tether sends conforms", async () => {
  await using temp = await tempDir("tether-niri-schema-");
  const dir = temp.path;
  const path = join(dir, "niri.wayland-1.77.sock");
  const niri = await startFakeNiri({
    path,
    windows: [
      { id: 1, app_id: "kitty", pid: 4000, title: "a" },
      { id: 2, app_id: "foot", pid: 4100, title: null, workspace_id: 2 },
    ],
    focusedId: 1,
    workspaceIds: [3],
    focusTimestampDebounceMs: 10,
    version: "25.05.1 (8ba57fc)",
  });
  const transitions: unknown[] = [];
  const source = startNiriFocusSource({
    env: { NIRI_SOCKET: path, XDG_RUNTIME_DIR: dir },
    onTransition: (transition) => transitions.push(transition),
    policy: exponentialPolicy({ initialDelayMs: 10, maxDelayMs: 50, jitter: "none" }),
  });
  try {
    await niri.waitForStreams(1);
    // Every kind of change the fake can announce, and tether's own requests next to it.
    niri.focus(2);
    niri.focusWorkspace(3);
    niri.focusWorkspace(1);
    niri.openWindow({ id: 5, app_id: "kitty", pid: 4200, title: "c" }, { focused: true });
    niri.openWindow({ id: 6, app_id: "kitty", pid: 4300, title: "d" });
    niri.retitle(6, "d2");
    await sleep(50); // a focus timestamp commits
    niri.closeWindow(5, 1);
    niri.closeWindow(6);
    niri.focus(null);
    niri.closeWindow(1, null, { closedFirst: true });
    assert.equal(await niriVersion(path), "25.05.1 (8ba57fc)");
    for (const request of ["Windows", "FocusedWindow", "NoSuchThing"]) {
      await niriRequest(path, request);
    }
    await niriRequest(path, { Action: { FocusWindow: { id: 2 } } });
    await niriRequest(path, { Action: { FocusWindow: { id: 99 } } });
    await source.close();

    const newer = new Set<string>();
    const replies = new Set(niri.sent.filter((line) => /^\{"(Ok|Err)":/.test(line)));
    assert.ok(replies.size >= 6, `replies seen: ${[...replies].join(" ")}`);
    for (const line of niri.sent) {
      assertConforms(replies.has(line) ? "reply" : "event", line, newer);
    }
    assert.deepEqual([...newer], [...NEWER_THAN_SCHEMA.events]);
    // tether's requests: as it encodes them, minus the deliberately bad one sent above.
    const sentByTether = niri.requests.filter((request) => request !== "NoSuchThing");
    assert.ok(sentByTether.includes("EventStream") && sentByTether.includes("Version"));
    for (const request of sentByTether) {
      assertConforms("request", encodeNiriRequest(request as string).trim(), newer);
    }
    assert.equal(schema.check("request", '"NoSuchThing"').valid, false);
  } finally {
    await source.close();
    await niri.close();
  }
});
