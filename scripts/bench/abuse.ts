// Abuse figures for README "Reliability": `tether conbus serve` and `tether focus` (the compiled
// binary; focus follows a fake niri) under the floods of issue 14, with the daemon's RSS sampled
// from /proc and a well-behaved `status` sent every 100 ms through tether's own client (latency,
// failures). Phases: a client pipelining requests without reading; thousands of idle
// connections; connect/close churn (from another process, so the flood does not slow the
// measuring client); for serve, a bridge flooding telegrams. Each phase ends by stopping the
// abuse and reading RSS again after 3 s and 10 s (memory back to its baseline?).
// Usage: scripts/bench/abuse.sh (raises the fd limit, builds dist/tether if missing);
// ABUSE_TARGETS=serve,focus and ABUSE_PHASES=pipeline,idle,churn,bridge pick parts.
import { telegramFromBody } from "../../src/conbus/telegram_codec.ts";
import { requestControl } from "../../src/resilience/control_socket.ts";
import { startFakeNiri } from "../../tests/fakes/niri_server.ts";

const binary = Deno.env.get("TETHER_BIN") ?? new URL("../../dist/tether", import.meta.url).pathname;
const idleConnections = Number(Deno.args[0] ?? "18000");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The bridge: quiet, or flooding valid telegrams while `flooding` is set.
let flooding = false;
const floodBatch = new TextEncoder().encode(telegramFromBody("E07L06I80M").frame.repeat(4096));
const bridge = Deno.listen({ hostname: "127.0.0.1", port: 0 });
(async () => {
  for await (const connection of bridge) {
    (async () => {
      const buffer = new Uint8Array(4096);
      (async () => {
        try {
          while ((await connection.read(buffer)) !== null) { /* requests are not answered */ }
        } catch { /* closed */ }
      })();
      try {
        while (true) {
          if (flooding) await connection.write(floodBatch);
          else await sleep(20);
        }
      } catch { /* serve went away */ }
    })();
  }
})();

const target = Deno.args[1] ?? "serve";
const runtimeDir = Deno.makeTempDirSync({ prefix: "tether-abuse-" });
Deno.chmodSync(runtimeDir, 0o700);
const niriPath = `${runtimeDir}/niri.sock`;
const niri = target === "focus"
  ? await startFakeNiri({
    path: niriPath,
    windows: [{ id: 1, app_id: "foot", title: "shell", pid: null, workspace_id: 1 }],
    focusedId: 1,
  })
  : null;
const socketPath = `${runtimeDir}/tether/${target === "focus" ? "focus" : "conbus"}.sock`;
const daemon = new Deno.Command(binary, {
  args: target === "focus" ? ["focus", "--compositor", "niri"] : [
    "conbus",
    "serve",
    "--host",
    "127.0.0.1",
    "--port",
    String((bridge.addr as Deno.NetAddr).port),
  ],
  env: { XDG_RUNTIME_DIR: runtimeDir, HOME: runtimeDir, NIRI_SOCKET: niriPath },
  stdout: "null",
  stderr: "null",
}).spawn();
const serve = daemon;

function rssMb(): number {
  const status = Deno.readTextFileSync(`/proc/${serve.pid}/status`);
  return Number(status.match(/VmRSS:\s+(\d+)/)![1]) / 1024;
}
function cpuSeconds(): number {
  const fields = Deno.readTextFileSync(`/proc/${serve.pid}/stat`).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const failureKinds = new Map<string, number>();
/** A well-behaved `status`, as tether's own clients send it (requestControl, 1 s timeout). */
async function status(): Promise<number | null> {
  const started = performance.now();
  try {
    await requestControl(socketPath, "status", { timeoutMs: 1000 });
    return performance.now() - started;
  } catch (error) {
    const name = error instanceof Error ? error.message.replace(/^.*: /, "") : String(error);
    failureKinds.set(name, (failureKinds.get(name) ?? 0) + 1);
    return null;
  }
}

/** Runs `abuse` for `ms` while sampling RSS and status; then stops it and waits 3 s. */
async function phase(name: string, ms: number, start: () => Promise<() => Promise<void> | void>) {
  const cpuBefore = cpuSeconds();
  const stop = await start();
  const latencies: number[] = [];
  let failures = 0;
  let peak = rssMb();
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const latency = await status();
    if (latency === null) failures++;
    else latencies.push(latency);
    peak = Math.max(peak, rssMb());
    await sleep(100);
  }
  const cpu = cpuSeconds() - cpuBefore;
  await stop();
  await sleep(3000);
  const after3s = rssMb();
  await sleep(7000);
  const after10s = rssMb();
  const memory = await requestControl(socketPath, "memory", { args: { gc: false } })
    .catch(() => null) as { heap_used: number; heap_total: number; external: number } | null;
  const collected = await requestControl(socketPath, "memory", { args: { gc: true } })
    .catch(() => null) as { rss: number; heap_used: number } | null;
  console.log(
    `    10 s after: rss ${after10s.toFixed(1)} heap ${JSON.stringify(memory)}; after gc ${
      JSON.stringify(collected)
    }; rss then ${rssMb().toFixed(1)}`,
  );
  const sorted = latencies.sort((a, b) => a - b);
  if (failures > 0) {
    console.log(`    failures: ${JSON.stringify(Object.fromEntries(failureKinds))}`);
  }
  failureKinds.clear();
  const p = (q: number) =>
    sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1)
      : "-";
  console.log(
    `  ${name}: status ${latencies.length} ok / ${failures} failed, median ${p(0.5)} ms, max ${
      p(1)
    } ms; ` +
      `RSS peak ${peak.toFixed(1)} MB, ${after3s.toFixed(1)} MB 3 s after, ${
        rssMb().toFixed(1)
      } MB 10 s after; CPU ${(cpu / (ms / 1000) * 100).toFixed(0)} %`,
  );
}

try {
  for (let i = 0; i < 100 && (await status()) === null; i++) await sleep(100);
  await sleep(1000);
  console.log(
    `${
      target === "focus" ? "tether focus" : "conbus serve"
    } (${binary}) under abuse; baseline RSS ${rssMb().toFixed(1)} MB`,
  );

  const only = Deno.env.get("ABUSE_PHASES");
  const wanted = (name: string) => only === undefined || only.split(",").includes(name);
  if (wanted("pipeline")) {
    await phase("pipelining 500k status requests, never reading", 5000, async () => {
      const flooder = await Deno.connect({ transport: "unix", path: socketPath });
      const chunk = new TextEncoder().encode('{"cmd":"status"}\n'.repeat(10_000));
      let open = true;
      (async () => {
        try {
          for (let i = 0; i < 50 && open; i++) {
            await flooder.write(chunk);
          }
        } catch { /* dropped by serve */ }
      })();
      return () => {
        open = false;
        try {
          flooder.close();
        } catch { /* already dropped */ }
      };
    });
  }

  if (wanted("idle")) {
    await phase(`${idleConnections} idle connections`, 5000, async () => {
      const connections: Deno.UnixConn[] = [];
      for (let i = 0; i < idleConnections; i++) {
        try {
          connections.push(await Deno.connect({ transport: "unix", path: socketPath }));
        } catch (error) {
          if (/Too many open files/.test(String(error))) break; // this process's own limit
          await sleep(1);
        }
      }
      console.log(`    (${connections.length} connections opened)`);
      return () => {
        for (const connection of connections) {
          try {
            connection.close();
          } catch { /* dropped by serve */ }
        }
      };
    });
  }

  let cycles = "?";
  if (wanted("churn")) {
    await phase("connect/close churn", 5000, () => {
      const flooder = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--no-check",
          new URL("./churn.ts", import.meta.url).pathname,
          socketPath,
        ],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      return Promise.resolve(async () => {
        flooder.kill("SIGTERM");
        cycles = new TextDecoder().decode((await flooder.output()).stdout).trim();
      });
    });
    console.log(`    (${cycles} connect/close cycles in 5 s)`);
  }

  if (target === "serve" && wanted("bridge")) {
    await phase("bridge flooding telegrams", 5000, () => {
      flooding = true;
      return Promise.resolve(() => {
        flooding = false;
      });
    });
  }
} finally {
  serve.kill("SIGTERM");
  const stopped = performance.now();
  await serve.status;
  console.log(`  SIGTERM to exit: ${(performance.now() - stopped).toFixed(0)} ms`);
  bridge.close();
  await niri?.close();
  Deno.removeSync(runtimeDir, { recursive: true });
  Deno.exit(0);
}
