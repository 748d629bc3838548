/**
 * Runs the FAKE niri (tests/fakes/niri_server.ts) as a process — no niri package exists on
 * this machine — so a stand-in niri.service can run it under a real systemd --user
 * (tests/e2e/systemd_session_test.ts). Listens on `$XDG_RUNTIME_DIR/niri.wayland-1.<pid>.sock`
 * (niri's own naming) with one kitty window focused; unlinks the socket and exits 0 on
 * SIGINT/SIGTERM.
 *
 *   deno run -A tests/fakes/niri_server_main.ts
 */
import { join } from "node:path";
import process from "node:process";
import { startFakeNiri } from "./niri_server.ts";

const runtimeDir = process.env.XDG_RUNTIME_DIR;
if (!runtimeDir) {
  console.error("niri_server_main: XDG_RUNTIME_DIR is not set");
  process.exit(2);
}
const niri = await startFakeNiri({
  path: join(runtimeDir, `niri.wayland-1.${process.pid}.sock`),
  windows: [{ id: 1, app_id: "kitty", pid: null, title: "fake kitty" }],
  focusedId: 1,
});
console.log(JSON.stringify({ path: niri.path }));
const stop = async () => {
  await niri.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
