import assert from "node:assert/strict";
import { parseSocketName } from "../../src/sockets/socket_names.ts";

Deno.test("sway names carry uid and PID", () => {
  assert.deepEqual(parseSocketName("", "sway-ipc.1000.812.sock"), {
    kind: "sway",
    protocol: "i3ipc",
    ownerPid: 812,
    nameUid: 1000,
  });
});

Deno.test("niri names carry the Wayland display and PID", () => {
  assert.deepEqual(parseSocketName("", "niri.wayland-1.2345.sock"), {
    kind: "niri",
    protocol: "niri",
    ownerPid: 2345,
    nameUid: null,
  });
});

Deno.test("i3's IPC socket speaks i3-ipc; its log-stream socket is probed by connect only", () => {
  assert.equal(parseSocketName("i3", "ipc-socket.77")?.protocol, "i3ipc");
  assert.equal(parseSocketName("i3", "log-stream-socket.77")?.protocol, "connect");
  assert.equal(parseSocketName("i3", "log-stream-socket.77")?.ownerPid, 77);
});

Deno.test("kitty and tether sockets are recognised only in their subdirectories", () => {
  assert.equal(parseSocketName("kitty", "kitty-4121.sock")?.ownerPid, 4121);
  assert.equal(parseSocketName("", "kitty-4121.sock"), null);
  assert.equal(parseSocketName("tether", "focus.sock")?.kind, "tether");
  assert.equal(parseSocketName("tether", "focus.sock")?.ownerPid, null);
});

Deno.test("tether/ takes any *.sock name the shell glob would match, dots included", () => {
  for (const name of ["conbus.192.168.1.100.sock", "my daemon.sock", "a.sock", "Fokus-2.sock"]) {
    assert.deepEqual(parseSocketName("tether", name), {
      kind: "tether",
      protocol: "tether",
      ownerPid: null,
      nameUid: null,
    }, name);
  }
  // Not matched by `*.sock`: hidden names, other suffixes, the bare suffix; and no control
  // characters (a newline would split the path's line in /proc/net/unix).
  for (const name of [".sock", ".hidden.sock", "focus.sock.old", "focus.socket", "a\nb.sock"]) {
    assert.equal(parseSocketName("tether", name), null, JSON.stringify(name));
  }
});

Deno.test("look-alike names are not recognised", () => {
  for (
    const name of [
      "sway-ipc.1000.812.sock.bak",
      "sway-ipc.1000.sock",
      "sway-ipc.-1.812.sock",
      "sway-ipc.1000.0812.sock",
      "sway-ipc.1000.99999999999.sock",
      "wayland-1",
      "wayland-1.lock",
      "niri.sock",
    ]
  ) {
    assert.equal(parseSocketName("", name), null, name);
  }
  assert.equal(parseSocketName("i3", "ipc-socket.x"), null);
  assert.equal(parseSocketName("tether", "../x.sock"), null);
  assert.equal(parseSocketName("other", "focus.sock"), null);
});
