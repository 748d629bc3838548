import assert from "node:assert/strict";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConbusDaemon } from "../../src/conbus/bridge_daemon.ts";
import { sendViaDaemon } from "../../src/conbus/daemon_client.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { requestControl } from "../../src/resilience/control_socket.ts";
import { exponentialPolicy } from "../../src/resilience/retry_policy.ts";
import {
  defaultModules,
  type FakeBridgeOptions,
  FakeConbusBridge,
} from "../fakes/conbus_bridge.ts";
import { runInProcess, runProcess, tetherCommand } from "../support/cli.ts";
import { waitFor } from "../support/wait.ts";
import { tempDir } from "../support/temp_dir.ts";

interface TempEnv {
  dir: string;
  env: Record<string, string>;
}

/** Runs `run` with a fresh runtime/config dir and an environment naming it; removes the dir after. */
async function withTempEnv(run: (context: TempEnv) => Promise<void>): Promise<void> {
  await using temp = await tempDir("tether-conbus-cli-");
  const dir = temp.path;
  const env: Record<string, string> = {
    ...process.env as Record<string, string>,
    XDG_RUNTIME_DIR: dir,
    XDG_CONFIG_HOME: join(dir, "config"),
    TETHER_CONBUS_HOST: "",
    TETHER_CONBUS_PORT: "",
  };
  await run({ dir, env });
}

/** {@link withTempEnv} plus a fake bridge, closed after `run` (closing it earlier is harmless). */
function withBridge(
  options: FakeBridgeOptions,
  run: (context: TempEnv & { bridge: FakeConbusBridge }) => Promise<void>,
): Promise<void> {
  return withTempEnv(async (context) => {
    const bridge = await FakeConbusBridge.start(options);
    try {
      await run({ ...context, bridge });
    } finally {
      await bridge.close();
    }
  });
}

/** `--host 127.0.0.1 --port <port>`: the fake bridge on `port`. */
const bridgeFlags = (port: number) => ["--host", "127.0.0.1", "--port", String(port)];

/** `--json conbus send --direct` to the fake bridge on `port`; telegrams and options follow. */
const directJsonSend = (
  port: number,
) => ["--json", "conbus", "send", "--direct", ...bridgeFlags(port)];

Deno.test("conbus send: usage and config errors exit 2 with one line", () =>
  withTempEnv(async ({ env }) => {
    const cases: [string[], RegExp][] = [
      [["conbus", "send", "S00"], /^tether: telegram "S00": serial must be 10 digits, got "00"\n$/],
      [["conbus", "send", "<S0020044964F02D12FA>"], /checksum FJ expected, got FA\n$/],
      [["conbus", "send", "R0020044964F18D"], /an R telegram is a module's reply, not a request/],
      [
        ["conbus", "send", "--port", "0", "S0020044964F02D12"],
        /--port must be a port number 1-65535/,
      ],
      [
        ["conbus", "send", "--timeout", "-1", "S0020044964F02D12"],
        /--timeout must be a duration like 500ms, 2s or a plain number of seconds, got "-1"/,
      ],
      [["conbus", "send", "S0020044964F02D12"], /no Conbus bridge configured: pass --host/],
      [
        ["conbus", "send", "--direct", "--host", "nosuch.invalid", "S0020044964F02D12"],
        /^tether: Conbus bridge nosuch\.invalid:10001: host "nosuch\.invalid" not found — check --host/,
      ],
      [
        ["conbus", "serve", "--min-gap-ms", "x", "--host", "h"],
        /--min-gap-ms must be a duration like 500ms, 2s or a plain number of milliseconds/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runInProcess(args, { env });
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, message);
      assert.equal(result.stderr.split("\n").length, 2, "one line");
    }
  }));

Deno.test("conbus send: a malformed config file exits 2 naming the file and the problem", () =>
  withTempEnv(async ({ dir, env }) => {
    await mkdir(join(dir, "config", "tether"), { recursive: true });
    const path = join(dir, "config", "tether", "config.yml");
    await writeFile(path, "conbus:\n  port: seventy\n");
    const result = await runInProcess(["conbus", "send", "--host", "h", "S0020044964F02D12"], {
      env,
    });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `tether: ${path}: conbus.port must be a port number 1-65535, got "seventy"\n`,
    );
  }));

Deno.test("conbus send --direct: [TX]/[RX] lines, exit 0 when replied, 1 when unsupported", () =>
  withBridge({}, async ({ env, bridge }) => {
    const flags = [...bridgeFlags(bridge.port), "--direct"];
    const ok = await runInProcess(["conbus", "send", ...flags, "S0020044964F02D12"], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^\d\d:\d\d:\d\d\.\d{3} \[TX\] <S0020044964F02D12FJ>$/m);
    assert.match(ok.stdout, /\[RX\] <R0020044964F02D12xxxx1110FJ> {2}\(reply to #1\)$/m);
    assert.match(ok.stdout, /^#1 <S0020044964F02D12FJ>: replied$/m);
    const unsupported = await runInProcess(
      ["--json", "conbus", "send", ...flags, "S0020044966F02D19"],
      { env },
    );
    assert.equal(unsupported.code, 1);
    const report = JSON.parse(unsupported.stdout);
    assert.deepEqual(Object.keys(report).slice(0, 4), ["sent", "replies", "events", "invalid"]);
    assert.equal(report.outcome, "unsupported");
  }));

Deno.test("conbus send: the environment selects the bridge (TETHER_CONBUS_HOST/PORT)", () =>
  withBridge({}, async ({ env, bridge }) => {
    const result = await runInProcess(["conbus", "send", "S0020044964F02D12"], {
      env: { ...env, TETHER_CONBUS_HOST: "127.0.0.1", TETHER_CONBUS_PORT: String(bridge.port) },
    });
    assert.equal(result.code, 0, result.stderr);
  }));

function expectedValue(datapoint: string): string {
  const module = defaultModules().find((each) => each.serial === "0020044966")!;
  if (datapoint === "12") return "xxxx0000";
  return module.datapoints[datapoint] ?? "??";
}

/** Polls `tether conbus serve`'s control socket until the bridge is connected; throws after 30 s. */
async function waitForServeConnected(socketPath: string, pollMs: number): Promise<void> {
  await waitFor(
    "conbus serve to connect to the bridge",
    async () => {
      const status = await requestControl(socketPath, "status").catch(() => null) as
        | { connection: { status: string } }
        | null;
      return status?.connection.status === "connected";
    },
    30_000,
    pollMs,
  );
}

async function startServe(env: Record<string, string>, port: number) {
  const [command, ...prefix] = tetherCommand();
  // Deno.Command, not node:child_process: Deno's node compat reports a child that handled
  // SIGTERM and exited 0 as "killed by SIGTERM".
  const child = new Deno.Command(command!, {
    args: [...prefix, "conbus", "serve", ...bridgeFlags(port)],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (stderr += chunk) }),
  );
  const socketPath = join(env.XDG_RUNTIME_DIR!, "tether", "conbus.sock");
  await waitForServeConnected(socketPath, 100);
  let exitCode: Promise<number> | null = null;
  return {
    /** Sends `signal` and resolves with the exit code; later calls only wait for that exit. */
    stop: (signal: "SIGTERM" | "SIGINT" = "SIGTERM") =>
      exitCode ??= (async () => {
        child.kill(signal);
        const status = await child.status;
        await stderrDone;
        return status.code;
      })(),
    socketPath,
    stderr: () => stderr,
  };
}

/** {@link withBridge} plus `tether conbus serve` as a child process, stopped after `run`. */
function withServeProcess(
  run: (
    context: TempEnv & {
      bridge: FakeConbusBridge;
      serve: Awaited<ReturnType<typeof startServe>>;
    },
  ) => Promise<void>,
): Promise<void> {
  return withBridge({}, async (context) => {
    const serve = await startServe(context.env, context.bridge.port);
    try {
      await run({ ...context, serve });
    } finally {
      await serve.stop();
    }
  });
}

Deno.test("conbus serve: 20 concurrent send processes each get their own reply; --direct is told the bridge is busy; SIGTERM removes the socket", () =>
  withServeProcess(async ({ env, bridge, serve }) => {
    const status = await requestControl(serve.socketPath, "status") as {
      connection: { status: string };
    };
    assert.equal(status.connection.status, "connected", serve.stderr());
    const datapoints = Array.from({ length: 20 }, (_, index) => String(index).padStart(2, "0"));
    const results = await Promise.all(
      datapoints.map((datapoint) =>
        runProcess(["--json", "conbus", "send", `S0020044966F02D${datapoint}`], {
          env,
          timeoutMs: 120_000,
        })
      ),
    );
    results.forEach((result, index) => {
      const datapoint = datapoints[index]!;
      assert.ok(result.code === 0 || result.code === 1, result.stderr);
      const report = JSON.parse(result.stdout);
      assert.equal(report.replies.length, 1, result.stdout);
      const frame: string = report.replies[0].frame;
      assert.equal(frame.slice(1, -3), `R0020044966F02D${datapoint}${expectedValue(datapoint)}`);
      assert.equal(result.code, expectedValue(datapoint) === "??" ? 1 : 0);
    });
    assert.equal(bridge.connectionsAccepted, 1, "every send went through serve's one connection");

    const direct = await runProcess(
      ["conbus", "send", "--direct", ...bridgeFlags(bridge.port), "S0020044964F02D12"],
      { env, timeoutMs: 60_000 },
    );
    assert.equal(direct.code, 1);
    assert.match(direct.stderr, /^tether: bridge busy: .*tether conbus serve \(pid \d+\) holds it/);

    const code = await serve.stop();
    await waitFor("the bridge connection closed", () => !bridge.hasClient);
    assert.equal(code, 0, serve.stderr());
    assert.equal(bridge.hasClient, false, "serve closed the bridge connection");
    await assert.rejects(stat(serve.socketPath));
  }));

Deno.test("conbus serve: SIGINT finishes the request in flight, closes the bridge connection, removes the socket, exit 0", () =>
  withServeProcess(async ({ bridge, serve }) => {
    assert.ok(bridge.hasClient, serve.stderr());
    // A discover takes ~600 ms (replies over ~300 ms, then the quiet window): in flight at SIGINT.
    const inFlight = sendViaDaemon(serve.socketPath, {
      telegrams: ["S0000000000F01D00"],
      timeout_ms: 3000,
      quiet_ms: 300,
    });
    await waitFor("the discover at the bridge", () => bridge.receivedCount === 1);
    const code = await serve.stop("SIGINT");
    const reply = await inFlight;
    assert.equal(code, 0, serve.stderr());
    assert.equal(reply?.accepted && reply.report.results[0]!.outcome, "replied");
    assert.equal(reply?.accepted && reply.report.replies.length, 4);
    await waitFor("the bridge connection closed", () => !bridge.hasClient);
    assert.equal(bridge.hasClient, false, "serve closed the bridge connection");
    await assert.rejects(stat(serve.socketPath));
  }));

Deno.test("conbus send --json: an unreachable bridge still prints the document (no_reply, error), plus one stderr line", () =>
  withBridge({}, async ({ env, bridge }) => {
    await bridge.close(); // nothing listens on its port any more
    const result = await runInProcess(
      [...directJsonSend(bridge.port), "--timeout", "0.5", "S0020044964F02D12"],
      { env },
    );
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout);
    assert.equal(report.outcome, "no_reply");
    assert.match(report.error.message, /ECONNREFUSED.*nothing sent/);
    assert.equal(report.error.category, "refused");
    assert.deepEqual(report.sent, []);
    assert.deepEqual(report.results, [{
      telegram: "<S0020044964F02D12FJ>",
      outcome: "no_reply",
      writes: 0,
      reason: report.error.message,
    }]);
    assert.equal(result.stderr, `tether: ${report.error.message}\n`);
  }));

Deno.test("conbus send --json through serve: a bridge serve cannot reach still prints the document", () =>
  withBridge({}, async ({ dir, env, bridge }) => {
    const daemon = await ConbusDaemon.start({
      endpoint: { host: "127.0.0.1", port: bridge.port },
      socketPath: join(dir, "tether", "conbus.sock"),
      minGapMs: 0,
      logger: createLogger({ level: "silent" }),
      reconnectPolicy: exponentialPolicy({ maxAttempts: 0, initialDelayMs: 60_000 }),
    });
    try {
      await daemon.waitForConnected(AbortSignal.timeout(5000));
      await bridge.close();
      await waitFor(
        "serve to notice the bridge closed",
        () => (daemon.status().connection as { status: string }).status === "reconnecting",
      );
      const result = await runInProcess(["--json", "conbus", "send", "S0020044964F02D12"], {
        env,
      });
      assert.equal(result.code, 1);
      const report = JSON.parse(result.stdout);
      assert.equal(report.outcome, "no_reply");
      assert.match(
        report.error.message,
        /^tether conbus serve: Conbus bridge 127\.0\.0\.1:\d+ is reconnecting/,
      );
      assert.equal(report.results[0].writes, 0);
      assert.equal(result.stderr, `tether: ${report.error.message}\n`);
    } finally {
      await daemon.stop();
    }
  }));

Deno.test("conbus send from a directory with xp's cli.yml (timeout: 0.1): the bridge is used and a 150 ms reply still arrives", () =>
  withBridge({ replyDelayMs: [150, 150] }, async ({ dir, env, bridge }) => {
    await writeFile(
      join(dir, "cli.yml"),
      `conbus:\n  ip: 127.0.0.1\n  ip_local: 127.0.0.1\n  port: ${bridge.port}\n  timeout: 0.1\n`,
    );
    const [command, ...prefix] = tetherCommand();
    const output = await new Deno.Command(command!, {
      args: [...prefix, "--json", "conbus", "send", "--direct", "S0020044964F02D12"],
      cwd: dir,
      env,
      clearEnv: true,
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    const report = JSON.parse(new TextDecoder().decode(output.stdout));
    assert.equal(report.outcome, "replied");
    assert.equal(report.results[0].writes, 1);
  }));

/** `tether conbus serve` in this process (captured output); stop() plays SIGTERM. */
async function serveInProcess(
  env: Record<string, string>,
  port: number,
  extraArgs: string[] = [],
  tty = false,
) {
  const shutdown = new AbortController();
  const args = ["conbus", "serve", ...bridgeFlags(port), ...extraArgs];
  const json = extraArgs.includes("--json");
  let stdout = "";
  const done = runInProcess(json ? ["--json", ...args.filter((arg) => arg !== "--json")] : args, {
    env,
    signal: shutdown.signal,
    tty,
    onStdout: (text) => void (stdout += text),
  });
  const socketPath = join(env.XDG_RUNTIME_DIR!, "tether", "conbus.sock");
  await waitForServeConnected(socketPath, 10);
  return {
    socketPath,
    /** What serve printed so far. */
    stdout: () => stdout,
    stop: () => {
      shutdown.abort();
      return done;
    },
  };
}

/** {@link withBridge} plus {@link serveInProcess} with `extraArgs`; serve must exit 0 after `run`. */
function withServe(
  extraArgs: string[],
  run: (context: TempEnv & { bridge: FakeConbusBridge }) => Promise<void>,
): Promise<void> {
  return withBridge({}, async (context) => {
    const serve = await serveInProcess(context.env, context.bridge.port, extraArgs);
    try {
      await run(context);
    } finally {
      const result = await serve.stop();
      assert.equal(result.code, 0, result.stderr);
    }
  });
}

Deno.test("conbus serve: bus telegrams while idle are [RX] … (while idle) lines on a terminal, bus_telegram JSON lines with --json or on a pipe", () =>
  withBridge({}, async ({ env, bridge }) => {
    for (
      const [json, tty] of [[false, true], [true, true], [false, false]] as const
    ) {
      const serve = await serveInProcess(env, bridge.port, json ? ["--json"] : [], tty);
      await waitFor("serve connected to the bridge", () => bridge.hasClient);
      assert.ok(bridge.sendUnsolicited("E14L00I02M"));
      assert.ok(bridge.sendUnsolicited("<O06L00I07MAG>"));
      await waitFor("both bus telegrams printed", () => serve.stdout().includes("<O06L00I07MAG>"));
      const result = await serve.stop();
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trimEnd().split("\n");
      if (json || !tty) {
        const events = lines.map((line) => JSON.parse(line));
        assert.deepEqual(events.map((event) => [event.event, event.frame]), [
          ["bus_telegram", "<E14L00I02MAK>"],
          ["bus_telegram", "<O06L00I07MAG>"],
        ]);
        assert.match(events[0].ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
      } else {
        assert.equal(lines.length, 2, result.stdout);
        assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} \[RX\] <E14L00I02MAK> {2}\(while idle\)$/);
        assert.match(lines[1]!, /^\d\d:\d\d:\d\d\.\d{3} \[RX\] <O06L00I07MAG> {2}\(while idle\)$/);
      }
      await waitFor("the bridge connection closed", () => !bridge.hasClient);
    }
  }));

Deno.test("conbus serve --min-gap-ms: telegrams of one send go out that far apart", () =>
  withServe(["--min-gap-ms", "300"], async ({ env, bridge }) => {
    const result = await runInProcess(
      ["--json", "conbus", "send", "S0020044964F02D12", "S0020044966F02D18", "S0020030837F02D02"],
      { env },
    );
    assert.equal(result.code, 0, result.stderr);
    const sent = JSON.parse(result.stdout).sent.map((each: { ts: string }) => Date.parse(each.ts));
    assert.equal(sent.length, 3);
    for (let index = 1; index < sent.length; index++) {
      assert.ok(sent[index] - sent[index - 1] >= 300, `gap ${sent[index] - sent[index - 1]} ms`);
    }
    assert.equal(bridge.connectionsAccepted, 1, "sent through serve");
  }));

Deno.test("conbus serve: exit 1 when another serve already owns the socket", () =>
  withServe([], async ({ env, bridge }) => {
    const second = await runInProcess(["conbus", "serve", ...bridgeFlags(bridge.port)], { env });
    assert.equal(second.code, 1);
    assert.match(
      second.stderr,
      /^tether: another tether daemon already listens on .*conbus\.sock\n$/,
    );
    assert.equal(bridge.connectionsAccepted, 1, "the second serve never touched the bridge");
  }));

Deno.test("conbus send: when serve serves another bridge, send connects directly to the one asked for", () =>
  withServe([], async ({ env, bridge: served }) => {
    const other = await FakeConbusBridge.start();
    try {
      const result = await runInProcess(
        ["--json", "conbus", "send", ...bridgeFlags(other.port), "S0020044964F02D12"],
        { env },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).outcome, "replied");
      assert.equal(other.receivedCount, 1);
      assert.equal(served.receivedCount, 0);
    } finally {
      await other.close();
    }
  }));

Deno.test("conbus send --quiet-ms: a discover collects what arrives within the window", () =>
  // Replies 30 ms after the request, then one every 200 ms (4 modules over 600 ms).
  withBridge({ replyDelayMs: [30, 30], discoverSpreadMs: 600 }, async ({ env, bridge }) => {
    const discover = async (quietMs: string) => {
      const result = await runInProcess(
        [...directJsonSend(bridge.port), "--quiet-ms", quietMs, "S0000000000F01D00"],
        { env },
      );
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout).replies.length;
    };
    assert.equal(await discover("100"), 1);
    assert.equal(await discover("400"), 4);
  }));

Deno.test("conbus send --timeout: the overall deadline decides whether a 300 ms reply is waited for", () =>
  withBridge({ replyDelayMs: [300, 300] }, async ({ env, bridge }) => {
    const read = async (timeout: string) => {
      const result = await runInProcess(
        [...directJsonSend(bridge.port), "--timeout", timeout, "S0020044964F02D12"],
        { env },
      );
      return { code: result.code, report: JSON.parse(result.stdout) };
    };
    const short = await read("0.2");
    assert.equal(short.code, 1);
    assert.equal(short.report.outcome, "no_reply");
    assert.equal(short.report.results[0].writes, 1, "no time left for a retry");
    const long = await read("2");
    assert.equal(long.code, 0);
    assert.equal(long.report.outcome, "replied");
  }));
