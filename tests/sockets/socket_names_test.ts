import assert from "node:assert/strict";
import { parseSocketName, parseSocketPath } from "../../src/sockets/socket_names.ts";

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

Deno.test("parseSocketPath reads the name in the directory it sits in", () => {
  assert.equal(parseSocketPath("/run/user/1000/kitty/kitty-5.sock")?.kind, "kitty");
  assert.equal(parseSocketPath("/run/user/1000/kitty-5.sock"), null); // kitty's only in kitty/
  assert.equal(parseSocketPath("/elsewhere/i3/log-stream-socket.7")?.protocol, "connect");
  assert.equal(parseSocketPath("/tmp/sway-ipc.1000.812.sock")?.ownerPid, 812);
  assert.equal(parseSocketPath("/tmp/niri.wayland-1.9.sock")?.kind, "niri");
  assert.equal(parseSocketPath("/x/tether/conbus.1.2.sock")?.kind, "tether");
  assert.equal(parseSocketPath("/tmp/mine.sock"), null);
});

Deno.test("parseSocketPath with a kind: that kind's protocol when the name does not tell", () => {
  const expected = { sway: "i3ipc", i3: "i3ipc", niri: "niri", kitty: "kitty", tether: "tether" };
  for (const [kind, protocol] of Object.entries(expected)) {
    assert.deepEqual(parseSocketPath("/tmp/mine.sock", kind as keyof typeof expected), {
      kind,
      protocol,
      ownerPid: null,
      nameUid: null,
    });
  }
  // The name's own facts win when they agree with the kind.
  assert.equal(parseSocketPath("/r/i3/ipc-socket.4", "i3").ownerPid, 4);
  assert.equal(parseSocketPath("/r/i3/log-stream-socket.4", "i3").protocol, "connect");
});
