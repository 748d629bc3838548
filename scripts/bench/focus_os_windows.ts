/**
 * Focus move between two OS windows of ONE kitty -> both changes acknowledged (the shrink of the
 * one that lost focus and the grow of the one that gained it), next to a move between two
 * kitties, on real i3 under Xvfb (X11: exact mapping) with real kitty, per peer set. The figure
 * is the `latency_ms` of the `focus_gained` line: from the focus event's arrival to kitty's
 * acknowledgement of the grow, which in the same kitty is queued behind the shrink.
 * Run by scripts/bench/focus.sh (FOCUS_BENCH_MOVES, default 100 per kind).
 */
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTracker } from "../../tests/e2e/focus_support.ts";
import { startI3 } from "../../tests/support/i3.ts";
import { lsAsUser } from "../../tests/support/kitty.ts";
import { PEER_SETS } from "../../tests/support/peer_set.ts";
import {
  killTree,
  makeRuntimeDir,
  pidExists,
  TEST_USER,
  userIds,
} from "../../tests/support/test_user.ts";

const MOVES = Number(Deno.env.get("FOCUS_BENCH_MOVES") ?? 100);
const PASSWORD = `bench-osw-${crypto.randomUUID()}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

interface Node {
  id: number;
  window?: number | null;
  window_properties?: { class?: string };
  nodes?: Node[];
  floating_nodes?: Node[];
}
const kittyNodes = (node: Node, found: Node[] = []): Node[] => {
  if (node.window_properties?.class === "kitty" && typeof node.window === "number") {
    found.push(node);
  }
  for (const child of [...(node.nodes ?? []), ...(node.floating_nodes ?? [])]) {
    kittyNodes(child, found);
  }
  return found;
};

for (const set of PEER_SETS) {
  set.assertReady();
  const { uid, gid } = userIds();
  const runtimeDir = await makeRuntimeDir();
  mkdirSync(join(runtimeDir, "kitty"), { mode: 0o700 });
  chownSync(join(runtimeDir, "kitty"), uid, gid);
  const configDir = mkdtempSync(join(tmpdir(), "tether-bench-osw-"));
  chownSync(configDir, uid, gid);
  writeFileSync(
    join(configDir, "kitty.conf"),
    `shell /bin/sh\nallow_remote_control password\nremote_control_password "${PASSWORD}" set-font-size action ls\nlisten_on unix:\${XDG_RUNTIME_DIR}/kitty/kitty-{kitty_pid}.sock\n`,
    { mode: 0o644 },
  );
  const passwordFile = join(configDir, "rc.password");
  writeFileSync(passwordFile, PASSWORD + "\n", { mode: 0o600 });
  chownSync(passwordFile, uid, gid);
  const i3 = await startI3({ runtimeDir, peers: set });
  const kittyPids = () =>
    readdirSync(join(runtimeDir, "kitty")).flatMap((name) =>
      /^kitty-(\d+)\.sock$/.exec(name)?.[1] ?? []
    ).map(Number);
  try {
    const tree = async () => JSON.parse((await i3.i3msg(["-t", "get_tree"])).stdout) as Node;
    const open = async (workspace: number, group: string | null) => {
      const known = new Set(kittyNodes(await tree()).map((node) => node.id));
      await i3.i3msg(["workspace", "number", String(workspace)]);
      const single = group === null ? "" : `--single-instance --instance-group ${group} `;
      await i3.exec(
        `env LIBGL_ALWAYS_SOFTWARE=1 kitty ${single}--config ${configDir}/kitty.conf > /dev/null 2>&1`,
      );
      for (let i = 0; i < 300; i++) {
        const node = kittyNodes(await tree()).find((candidate) => !known.has(candidate.id));
        if (node !== undefined) return node.id;
        await sleep(100);
      }
      throw new Error("kitty did not open");
    };
    const group = `bench-${crypto.randomUUID().slice(0, 8)}`;
    const a1 = await open(1, group);
    const a2 = await open(2, group);
    const b = await open(3, null);
    // Wait until every kitty answers ls (its socket and public key are there).
    for (let i = 0; i < 100; i++) {
      const pids = kittyPids();
      const ready = pids.length === 2 &&
        (await Promise.all(
          pids.map((pid) =>
            lsAsUser(
              set,
              TEST_USER,
              pid,
              join(runtimeDir, "kitty", `kitty-${pid}.sock`),
              passwordFile,
            )
              .then(() => true, () => false)
          ),
        )).every(Boolean);
      if (ready) break;
      await sleep(200);
    }
    await i3.i3msg([`[con_id=${a1}]`, "focus"]);
    const tracker = await startTracker(
      ["--compositor", "i3", "--password-file", passwordFile],
      {
        XDG_RUNTIME_DIR: runtimeDir,
        I3SOCK: i3.socketPath,
        HOME: `/home/${TEST_USER}`,
        NO_COLOR: "1",
      },
      { user: TEST_USER },
    );
    try {
      await tracker.waitForLine((l) => l.event === "focus_gained" && l.window_id === a1, {
        timeoutMs: 30_000,
      });
      const measure = async (from: number, to: number) => {
        const latencies: number[] = [];
        let target = to;
        for (let i = 0; i < MOVES * 2; i++) {
          const start = tracker.lines.length;
          await i3.i3msg([`[con_id=${target}]`, "focus"]);
          const line = await tracker.waitForLine(
            (l) => l.event === "focus_gained" && l.window_id === target,
            { from: start, timeoutMs: 30_000 },
          );
          if (line.status !== "success") throw new Error(JSON.stringify(line));
          latencies.push(line.latency_ms as number);
          target = target === to ? from : to;
        }
        return latencies;
      };
      const sameKitty = await measure(a1, a2);
      await i3.i3msg([`[con_id=${a1}]`, "focus"]);
      await sleep(300);
      const crossKitty = await measure(a1, b);
      const figure = (values: number[]) =>
        `p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms`;
      console.log(
        `## focus moves on real i3 ${set.label("kitty", "i3")} (${MOVES * 2} moves each)`,
      );
      console.log(`two OS windows of one kitty, both changes acknowledged: ${figure(sameKitty)}`);
      console.log(
        `two kitties (grow acknowledged; the shrink runs in parallel): ${figure(crossKitty)}`,
      );
      tracker.signal("SIGTERM");
      await tracker.exited();
    } finally {
      await tracker.kill();
    }
  } finally {
    for (const pid of kittyPids()) if (pidExists(pid)) killTree(pid);
    await i3.stop();
    rmSync(configDir, { recursive: true, force: true });
    rmSync(runtimeDir, { recursive: true, force: true });
  }
}
