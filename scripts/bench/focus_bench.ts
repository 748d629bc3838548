/**
 * Figures for README "tether focus" (run by scripts/bench/focus.sh; all ratios from one run):
 *
 * 1. focus event -> font change acknowledged: tether (fake niri event -> real kitty under Xvfb,
 *    once per peer set: Debian 12's kitty 0.26.5, never pooled, and sid's current kitty, pooled
 *    from 0.42.2 on; `latency_ms` of the tracker's JSON lines) vs the old way, three `kitty @ --to …
 *    set-font-size -- +1` subprocesses; p50/p99 over 200 switches. Measured twice: kitty in
 *    password mode (what `tether kitty setup` configures: every command encrypted, on both
 *    sides) and in socket-only mode (no password, no encryption).
 * 2. one coalesced `set-font-size +3` vs three `+1` commands (KittyRegistry, real kitty), in
 *    both modes and for both kitty versions, with whether tether pools that kitty's connection.
 * 3. Memory of the tracker over 10,000 focus events (fake niri + fake kitty sockets): RSS (and
 *    its file-backed/anonymous parts) from /proc before, and the live heap after, a full garbage
 *    collection (the tracker's `memory` control command), every 2,500 events, with the slope
 *    between 5,000 and 10,000 events and whether the targets (<= 60 MB, flat) are met.
 *    `TETHER_BIN` picks the binary (default dist/tether).
 */
import { TETHER_KITTY_COMMANDS } from "../../src/kitty/setup.ts";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KittyRegistry } from "../../src/kitty/registry.ts";
import { startFakeNiri } from "../../tests/fakes/niri_server.ts";
import { ONE_OS_WINDOW_LS } from "../../tests/fakes/kitty_server.ts";
import { startKitty } from "../../tests/support/kitty.ts";
import { startXvfb } from "../../tests/support/xvfb.ts";
import { startTracker, tetherBinary } from "../../tests/e2e/focus_support.ts";
import { requestControl } from "../../src/resilience/control_socket.ts";
import { PEER_SETS, type PeerSet } from "../../tests/support/peer_set.ts";

/** One `set-font-size` on kitty's active OS window (no `ls`, no reset): the old per-kitty command. */
const ACTIVE = { allowReset: false };

const SWITCHES = Number(Deno.env.get("FOCUS_BENCH_SWITCHES") ?? 200);
const OLD_WAY_RUNS = Number(Deno.env.get("FOCUS_BENCH_OLD_RUNS") ?? 10);
const RSS_EVENTS = Number(Deno.env.get("FOCUS_BENCH_RSS_EVENTS") ?? 10_000);
/** The memory target: the tracker's RSS after 10,000 focus events. */
const RSS_TARGET_MB = 60;
/**
 * "Flat", made measurable: over the second half of the run (5,000 -> 10,000 events) RSS grows
 * by less than 0.5 MB and the live heap (after a full collection) by less than 20 kB per 1,000
 * events — a leak of one small object per event would exceed the latter.
 */
const FLAT_RSS_MB_PER_1000 = 0.5;
const FLAT_HEAP_KB_PER_1000 = 20;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;

/** How the bench kitties accept remote control. */
type Mode = "password" | "socket-only";

const BENCH_PASSWORD = `bench-${crypto.randomUUID()}`;

async function realKittyFigures(mode: Mode, peers: PeerSet): Promise<void> {
  const runtimeDir = mkdtempSync(join(tmpdir(), "tether-bench-"));
  const passwordFile = join(runtimeDir, "rc.password");
  writeFileSync(passwordFile, BENCH_PASSWORD + "\n", { mode: 0o600 });
  const remoteControl = mode === "password"
    ? { mode: "password" as const, password: BENCH_PASSWORD, commands: [...TETHER_KITTY_COMMANDS] }
    : { mode: "socket-only" as const };
  const x = await startXvfb(peers);
  const kitties = [
    await startKitty(x, { runtimeDir, remoteControl, peers }),
    await startKitty(x, { runtimeDir, remoteControl, peers }),
  ];
  const niriPath = join(runtimeDir, "niri.wayland-1.1.sock");
  const niri = await startFakeNiri({
    path: niriPath,
    windows: kitties.map((kitty, index) => ({ id: index + 1, app_id: "kitty", pid: kitty.pid })),
    focusedId: 1,
  });
  const env = {
    PATH: "/usr/bin:/bin",
    HOME: runtimeDir,
    XDG_RUNTIME_DIR: runtimeDir,
    NIRI_SOCKET: niriPath,
  };
  const tracker = await startTracker(
    ["--compositor", "niri", "--password-file", passwordFile],
    env,
  );
  try {
    await tracker.waitForLine((line) => line.event === "focus_gained");
    const gained: number[] = [];
    for (let i = 0; i < SWITCHES; i++) {
      const target = i % 2 === 0 ? 2 : 1;
      const from = tracker.lines.length;
      niri.focus(target);
      const line = await tracker.waitForLine(
        (l) => l.event === "focus_gained" && l.window_id === target,
        { from },
      );
      if (line.status !== "success") throw new Error(`switch ${i}: ${JSON.stringify(line)}`);
      gained.push(line.latency_ms as number);
    }
    tracker.signal("SIGTERM");
    await tracker.exited();

    // The old way: three `kitty @` subprocesses per font change (+1 each); in password mode
    // with the password file and kitty's public key, as a script inside kitty would have them.
    const old: number[] = [];
    const socket = `unix:${kitties[0]!.socketPath}`;
    const passwordArgs = mode === "password" ? ["--password-file", passwordFile] : [];
    const kittyAtEnv = mode === "password"
      ? { ...process.env, KITTY_PUBLIC_KEY: await kitties[0]!.publicKey() }
      : process.env;
    const kittyAt = (delta: string) => {
      const argv = peers.wrap([
        "kitty",
        "@",
        "--to",
        socket,
        ...passwordArgs,
        "set-font-size",
        "--",
        delta,
      ]);
      const result = spawnSync(argv[0]!, argv.slice(1), { env: kittyAtEnv });
      if (result.status !== 0) throw new Error(`kitty @ failed: ${result.stderr}`);
    };
    for (let run = 0; run < OLD_WAY_RUNS; run++) {
      const started = performance.now();
      for (let step = 0; step < 3; step++) kittyAt("+1");
      old.push(performance.now() - started);
      kittyAt("-3");
    }

    // One coalesced +3 vs three +1 over tether's own client.
    const registry = new KittyRegistry({
      env,
      passwordFile,
      socketPathFor: () => kitties[0]!.socketPath,
    });
    const pid = kitties[0]!.pid;
    await registry.changeOsWindowFontSize(pid, null, 1, ACTIVE);
    await registry.changeOsWindowFontSize(pid, null, -1, ACTIVE);
    const coalesced: number[] = [];
    const separate: number[] = [];
    for (let run = 0; run < 50; run++) {
      let started = performance.now();
      await registry.changeOsWindowFontSize(pid, null, 3, ACTIVE);
      coalesced.push(performance.now() - started);
      await registry.changeOsWindowFontSize(pid, null, -3, ACTIVE);
      started = performance.now();
      for (let step = 0; step < 3; step++) {
        await registry.changeOsWindowFontSize(pid, null, 1, ACTIVE);
      }
      separate.push(performance.now() - started);
      await registry.changeOsWindowFontSize(pid, null, -3, ACTIVE);
    }
    const pooling = registry.snapshot()[0]!.pooling;
    await registry.close();

    const p50 = percentile(gained, 50);
    const what = mode === "password"
      ? "password mode: every command encrypted"
      : "socket-only mode: no password";
    console.log(`## ${what} (kitty ${peers.versions().kitty}, ${peers.name}, Xvfb/llvmpipe)`);
    console.log(`connection: ${pooling}`);
    console.log(
      `focus event -> font change acknowledged, tether (${SWITCHES} switches): p50 ${
        ms(p50)
      }, p99 ${ms(percentile(gained, 99))}`,
    );
    console.log(
      `old way, 3 x \`kitty @ set-font-size +1\` (${OLD_WAY_RUNS} runs): p50 ${
        ms(percentile(old, 50))
      }, p99 ${ms(percentile(old, 99))}`,
    );
    console.log(`ratio (p50): old way / tether = ${(percentile(old, 50) / p50).toFixed(0)}x`);
    console.log(
      `coalesced vs separate (50 runs each, same kitty): one set-font-size +3 p50 ${
        ms(percentile(coalesced, 50))
      }; three +1 p50 ${ms(percentile(separate, 50))}; ratio ${
        (percentile(separate, 50) / percentile(coalesced, 50)).toFixed(2)
      }x`,
    );
  } finally {
    await tracker.kill();
    await niri.close();
    for (const kitty of kitties) await kitty.stop();
    await x.stop();
    rmSync(runtimeDir, { recursive: true, force: true });
  }
}

/**
 * A kitty stand-in: answers the version probes like kitty 0.26, `ls` with one OS window (so the
 * tracker maps each window to it at once), and every other command with ok.
 */
function fakeKitty(path: string): Promise<Server> {
  const server = createServer((socket) => {
    let buffered = "";
    socket.on("data", (chunk) => {
      buffered += chunk.toString("latin1");
      let end: number;
      while ((end = buffered.indexOf("\x1b\\")) >= 0) {
        const frame = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const json = JSON.parse(frame.slice(frame.indexOf("{")));
        const reply = json.version?.[1] > 26
          ? {
            ok: false,
            error:
              "The kitty client you are using to send remote commands is newer than this kitty instance. This is not supported.",
          }
          : json.cmd === "ls"
          ? { ok: true, data: ONE_OS_WINDOW_LS }
          : { ok: true };
        socket.write(`\x1bP@kitty-cmd${JSON.stringify(reply)}\x1b\\`);
      }
    });
    socket.on("error", () => socket.destroy());
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

/** RSS and its file-backed (the runtime's code, mapped from the binary) and anonymous parts, kB. */
const rssKb = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(status.match(new RegExp(`${name}:\\s+(\\d+)`))![1]);
  return { rss: field("VmRSS"), file: field("RssFile"), anon: field("RssAnon") };
};

interface MemorySample {
  events: number;
  rss: { rss: number; file: number; anon: number };
  /** Live heap after a full collection (the tracker's `memory` control command), bytes. */
  heapUsed: number;
}

async function rssFigures(): Promise<void> {
  const runtimeDir = mkdtempSync(join(tmpdir(), "tether-bench-rss-"));
  Deno.mkdirSync(join(runtimeDir, "kitty"));
  // Two live processes stand in for kitty PIDs; fake kitty sockets carry their PIDs.
  const stand = [0, 1].map(() => new Deno.Command("sleep", { args: ["600"] }).spawn());
  const servers = await Promise.all(
    stand.map((child) => fakeKitty(join(runtimeDir, "kitty", `kitty-${child.pid}.sock`))),
  );
  const niriPath = join(runtimeDir, "niri.wayland-1.1.sock");
  const niri = await startFakeNiri({
    path: niriPath,
    windows: stand.map((child, index) => ({ id: index + 1, app_id: "kitty", pid: child.pid })),
    focusedId: 1,
  });
  const env = { PATH: "/usr/bin:/bin", HOME: runtimeDir, XDG_RUNTIME_DIR: runtimeDir };
  const tracker = await startTracker(["--compositor", "niri"], { ...env, NIRI_SOCKET: niriPath });
  const controlPath = join(runtimeDir, "tether", "focus.sock");
  const sample = async (events: number): Promise<MemorySample> => {
    const rss = rssKb(tracker.pid); // before the collection the memory command runs
    const memory = await requestControl(controlPath, "memory", { timeoutMs: 5000 }) as {
      heap_used: number;
      collected: boolean;
    };
    if (!memory.collected) throw new Error("the tracker could not run a garbage collection");
    return { events, rss, heapUsed: memory.heap_used };
  };
  try {
    await tracker.waitForLine((line) => line.event === "focus_gained");
    const samples: MemorySample[] = [await sample(0)];
    const batch = 100;
    let events = 0;
    for (let sent = 0; sent < RSS_EVENTS; sent += batch) {
      const from = tracker.lines.length;
      for (let i = sent; i < sent + batch; i++) niri.focus(i % 2 === 0 ? 2 : 1);
      // The tracker may fold a burst (a blur and re-focus cancel out), and kitties run
      // independently, so lines are not one-per-event: wait until it has gone quiet.
      let seen = -1;
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const count = tracker.lines.length - from;
        if (count > 0 && count === seen) break;
        seen = count;
      }
      events += batch;
      tracker.lines.splice(0, tracker.lines.length); // keep the bench's own memory flat
      if ((sent + batch) % (RSS_EVENTS / 4) === 0) samples.push(await sample(sent + batch));
    }
    if (events !== RSS_EVENTS) throw new Error(`sent ${events} events`);
    const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
    console.log(`## tracker memory over ${RSS_EVENTS} focus events (fake niri + fake kitty)`);
    console.log(`binary: ${tetherBinary().join(" ")}`);
    for (const { events, rss, heapUsed } of samples) {
      console.log(
        `${String(events).padStart(6)}: RSS ${mb(rss.rss * 1024)} (file-backed ${
          mb(rss.file * 1024)
        }, anonymous ${mb(rss.anon * 1024)}), live heap ${mb(heapUsed)}`,
      );
    }
    const half = samples.find((s) => s.events === RSS_EVENTS / 2)!;
    const last = samples.at(-1)!;
    const per1000 = (delta: number) => (delta / ((last.events - half.events) / 1000));
    const rssSlopeMb = per1000(last.rss.rss - half.rss.rss) / 1024;
    const heapSlopeKb = per1000(last.heapUsed - half.heapUsed) / 1024;
    const peakKb = Math.max(...samples.map((s) => s.rss.rss));
    console.log(
      `slope ${half.events} -> ${last.events} events: RSS ${rssSlopeMb.toFixed(2)} MB per ` +
        `1,000 events, live heap ${heapSlopeKb.toFixed(1)} kB per 1,000 events; peak RSS ${
          mb(peakKb * 1024)
        }`,
    );
    const verdict = (met: boolean) => (met ? "met" : "MISSED");
    console.log(
      `target RSS <= ${RSS_TARGET_MB} MB at every sample: ${
        verdict(peakKb / 1024 <= RSS_TARGET_MB)
      } (peak ${mb(peakKb * 1024)})`,
    );
    console.log(
      `target flat (second half: RSS < ${FLAT_RSS_MB_PER_1000} MB and live heap < ` +
        `${FLAT_HEAP_KB_PER_1000} kB per 1,000 events): ${
          verdict(rssSlopeMb < FLAT_RSS_MB_PER_1000 && heapSlopeKb < FLAT_HEAP_KB_PER_1000)
        }`,
    );
  } finally {
    await tracker.kill();
    await niri.close();
    for (const server of servers) server.close();
    for (const child of stand) child.kill("SIGKILL");
    rmSync(runtimeDir, { recursive: true, force: true });
  }
}

if (Deno.env.get("FOCUS_BENCH_PART") !== "rss") {
  for (const peers of PEER_SETS) {
    await realKittyFigures("password", peers);
    await realKittyFigures("socket-only", peers);
  }
}
if (Deno.env.get("FOCUS_BENCH_PART") !== "kitty") await rssFigures();
