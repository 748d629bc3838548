import assert from "node:assert/strict";
import { parseUnixListeners } from "../../src/sockets/listening_sockets.ts";

const HEADER = "Num       RefCount Protocol Flags    Type St Inode Path\n";

Deno.test("only listening sockets (flag 0x10000) bound to a file are returned, with their socket inode", () => {
  const text = HEADER +
    "00000000ac1519e6: 00000003 00000000 00000000 0001 03 608255 /run/user/1000/niri.wayland-1.1.sock\n" +
    "000000007cf32b53: 00000003 00000000 00000000 0001 03 637875\n" +
    "0000000046c15da4: 00000002 00000000 00010000 0001 01 637864 /run/user/1000/sway-ipc.1000.812.sock\n" +
    "0000000046c15da5: 00000002 00000000 00010000 0001 01 637866\n" +
    "0000000046c15da6: 00000002 00000000 00010000 0001 01 637867 @abstract\n";
  assert.deepEqual(
    parseUnixListeners(text),
    [{ socketInode: 637864, path: "/run/user/1000/sway-ipc.1000.812.sock" }],
  );
});

Deno.test("a path with spaces is kept whole", () => {
  const text = HEADER + "0: 00000002 00000000 00010000 0001 01 1 /tmp/my dir/x.sock\n";
  assert.deepEqual(parseUnixListeners(text), [{ socketInode: 1, path: "/tmp/my dir/x.sock" }]);
});
