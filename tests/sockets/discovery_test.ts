import assert from "node:assert/strict";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../src/platform/config_error.ts";
import { discoverSockets, verifyRuntimeDir } from "../../src/sockets/discovery.ts";

const UID = process.getuid!();

function runtime(): string {
  const rt = mkdtempSync(join(tmpdir(), "tether-discovery-"));
  chmodSync(rt, 0o700);
  return rt;
}

Deno.test("discovery finds each kind in its place with the PID from the name", async () => {
  const rt = runtime();
  try {
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
  } finally {
    rmSync(rt, { recursive: true, force: true });
  }
});

Deno.test("environment sockets are marked current; a missing one is kept with file null", async () => {
  const rt = runtime();
  try {
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
  } finally {
    rmSync(rt, { recursive: true, force: true });
  }
});

Deno.test("a subdirectory owned by someone else is skipped, not scanned", async () => {
  const rt = runtime();
  try {
    mkdirSync(join(rt, "kitty"));
    writeFileSync(join(rt, "kitty", "kitty-1.sock"), "");
    chownSync(join(rt, "kitty"), 1500, 1500);
    const found = await discoverSockets({ runtimeDir: rt, env: {}, uid: UID });
    assert.deepEqual(found.entries, []);
    assert.match(found.skipped[0]!.reason, /owned by uid 1500/);
  } finally {
    rmSync(rt, { recursive: true, force: true });
  }
});

Deno.test("verifyRuntimeDir accepts 0700 and refuses a missing dir, a file or group access", () => {
  const rt = runtime();
  try {
    verifyRuntimeDir(rt, UID);
    assert.throws(() => verifyRuntimeDir(join(rt, "none"), UID), ConfigError);
    writeFileSync(join(rt, "file"), "");
    assert.throws(() => verifyRuntimeDir(join(rt, "file"), UID), /not a directory/);
    chmodSync(rt, 0o770);
    assert.throws(() => verifyRuntimeDir(rt, UID), /must be 0700/);
  } finally {
    rmSync(rt, { recursive: true, force: true });
  }
});
