import assert from "node:assert/strict";
import { chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { discoverSockets, entryForPath } from "../../src/sockets/discovery.ts";
import { tempDir } from "../support/temp_dir.ts";

const UID = process.getuid!();

Deno.test("discovery finds each kind in its place with the PID from the name", async () => {
  await using rtDir = await tempDir("tether-discovery-");
  const rt = rtDir.path;
  for (const sub of ["i3", "kitty", "tether"]) mkdirSync(join(rt, sub));
  for (
    const path of [
      `sway-ipc.${UID}.11.sock`,
      "niri.wayland-1.12.sock",
      "i3/ipc-socket.13",
      "kitty/kitty-14.sock",
      "tether/focus.sock",
      "tether/conbus.10.0.0.1.sock",
      "tether/.hidden.sock",
      "wayland-1.lock",
      "kitty/other.txt",
    ]
  ) writeFileSync(join(rt, path), "");
  const found = await discoverSockets({ runtimeDir: rt, env: {}, uid: UID });
  const summary = found.entries
    .map((entry) => `${entry.kind}:${entry.ownerPid}:${entry.file?.type}`)
    .sort();
  assert.deepEqual(summary, [
    "i3:13:file",
    "kitty:14:file",
    "niri:12:file",
    "sway:11:file",
    "tether:null:file",
    "tether:null:file",
  ]);
});

Deno.test("environment sockets are marked current; a missing one is kept with file null", async () => {
  await using rtDir = await tempDir("tether-discovery-");
  const rt = rtDir.path;
  writeFileSync(join(rt, `sway-ipc.${UID}.11.sock`), "");
  const found = await discoverSockets({
    runtimeDir: rt,
    env: {
      SWAYSOCK: join(rt, `sway-ipc.${UID}.11.sock`),
      I3SOCK: join(rt, `sway-ipc.${UID}.11.sock`),
      NIRI_SOCKET: "/nonexistent/niri.wayland-1.99.sock",
    },
    uid: UID,
  });
  assert.equal(found.entries.length, 2);
  const sway = found.entries.find((entry) => entry.kind === "sway")!;
  assert.equal(sway.current, true);
  assert.equal(sway.inRuntimeDir, true);
  const niri = found.entries.find((entry) => entry.kind === "niri")!;
  assert.deepEqual([niri.current, niri.inRuntimeDir, niri.file, niri.ownerPid], [
    true,
    false,
    null,
    99,
  ]);
});

Deno.test("a subdirectory owned by someone else is skipped, not scanned", async () => {
  await using rtDir = await tempDir("tether-discovery-");
  const rt = rtDir.path;
  mkdirSync(join(rt, "kitty"));
  writeFileSync(join(rt, "kitty", "kitty-1.sock"), "");
  chownSync(join(rt, "kitty"), 1500, 1500);
  const found = await discoverSockets({ runtimeDir: rt, env: {}, uid: UID });
  assert.deepEqual(found.entries, []);
  assert.match(found.skipped[0]!.reason, /owned by uid 1500/);
});

Deno.test("entryForPath: kind from the name, narrowed by kind; current when the session names it", async () => {
  await using rtDir = await tempDir("tether-discovery-");
  const rt = rtDir.path;
  mkdirSync(join(rt, "kitty"));
  const kitty = join(rt, "kitty", "kitty-77.sock");
  writeFileSync(kitty, "");
  const entry = entryForPath(kitty, {}, undefined)!;
  assert.deepEqual(
    [entry.kind, entry.protocol, entry.ownerPid, entry.current, entry.inRuntimeDir],
    ["kitty", "kitty", 77, false, false],
  );
  assert.equal(entry.file?.type, "file");
  // Unknown names need a kind; with one, that kind's protocol and no PID.
  const custom = join(rt, "custom.sock");
  assert.equal(entryForPath(custom, {}, undefined), null);
  const sway = entryForPath(custom, { SWAYSOCK: custom }, "sway");
  assert.deepEqual([sway.kind, sway.protocol, sway.ownerPid, sway.current, sway.file], [
    "sway",
    "i3ipc",
    null,
    true,
    null,
  ]);
  // A sway name asked for as i3 is i3's (an i3 started with a sway-looking path).
  const asI3 = entryForPath(join(rt, `sway-ipc.${UID}.5.sock`), {}, "i3");
  assert.deepEqual([asI3.kind, asI3.protocol, asI3.ownerPid], ["i3", "i3ipc", null]);
});
