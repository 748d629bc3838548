import { type ChildProcess, spawn } from "node:child_process";
import { DEBIAN12, type PeerSet } from "./peer_set.ts";
import { killTree, waitForExit } from "./test_user.ts";
import { waitFor } from "./wait.ts";

/** A running Xvfb server. */
export interface XServer {
  /** Its PID. */
  pid: number;
  /** `:N`, for DISPLAY. */
  display: string;
  /** Kills it by PID and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts Xvfb on a display it picks itself (`-displayfd`: no race with other servers for a
 * number) and waits until it is ready, from the binaries of `peers` (default Debian 12). The screen is 1280x1024 (kitty tests read window sizes).
 *
 * @example
 * ```ts
 * const x = await startXvfb();
 * try { spawn("i3", [], { env: { DISPLAY: x.display } }); } finally { await x.stop(); }
 * ```
 */
export async function startXvfb(peers: PeerSet = DEBIAN12): Promise<XServer> {
  const argv = peers.wrap([
    "Xvfb",
    ...["-displayfd", "1", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
  ]);
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), {
    stdio: ["ignore", "pipe", "ignore"],
  });
  let out = "";
  child.stdout!.on("data", (chunk) => (out += chunk));
  const display = await waitFor("Xvfb to report its display", () => {
    if (child.exitCode !== null) throw new Error(`Xvfb exited ${child.exitCode}`);
    const match = out.match(/^(\d+)\n/);
    return match ? `:${match[1]}` : undefined;
  });
  return {
    pid: child.pid!,
    display,
    stop: async () => {
      killTree(child.pid!, "SIGKILL");
      await waitForExit(child.pid!).catch(() => {});
    },
  };
}
