/**
 * Runs the FAKE Conbus bridge (tests/fakes/conbus_bridge.ts) as a process, for scripts
 * (scripts/bench/conbus.sh) and manual tries — no real bridge exists on this machine.
 * Prints `{"port":N}` on stdout once listening; stops on SIGINT/SIGTERM.
 *
 *   deno run -A tests/fakes/conbus_bridge_main.ts [--delay-ms MIN,MAX] [--port N] [--multi-client]
 *
 * `--multi-client` (benchmark baseline only) accepts several clients at once.
 */
import process from "node:process";
import { FakeConbusBridge } from "./conbus_bridge.ts";

const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const delay = (option("--delay-ms") ?? "30,80").split(",").map(Number) as [number, number];
const bridge = await FakeConbusBridge.start({
  replyDelayMs: [delay[0] ?? 30, delay[1] ?? delay[0] ?? 80],
  port: Number(option("--port") ?? 0),
  singleClient: !args.includes("--multi-client"),
});
console.log(JSON.stringify({ port: bridge.port }));
const stop = async () => {
  await bridge.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
// Keep running until a signal arrives (the server alone would too; this makes it explicit).
setInterval(() => {}, 1 << 30);
