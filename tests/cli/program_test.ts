import assert from "node:assert/strict";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import denoConfig from "../../deno.json" with { type: "json" };
import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { buildProgram, commandWord, programForInspection } from "../../src/cli/program.ts";
import { runInProcess, runProcess, tetherCommand } from "../support/cli.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";
import { tempDir } from "../support/temp_dir.ts";

Deno.test("--version prints `tether <version> (<commit>, <runtime> <v>)`; with --json the same as JSON", async () => {
  const result = await runInProcess(["--version"]);
  assert.equal(result.code, 0);
  assert.equal(
    result.stdout,
    `tether ${denoConfig.version} (source, deno ${process.versions.deno})\n`,
  );
  assert.equal(result.stderr, "");
  for (const args of [["--version", "--json"], ["--json", "--version"], ["-V", "--json"]]) {
    const json = await runInProcess(args);
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.stdout), {
      name: "tether",
      version: denoConfig.version,
      commit: "source",
      runtime: "deno",
      runtime_version: process.versions.deno,
    });
  }
});

/** Every command path of the program, e.g. ["focus", "status"]. */
function commandPaths(): string[][] {
  const program = programForInspection();
  const paths: string[][] = [];
  const walk = (command: typeof program, path: string[]) => {
    for (const child of command.commands) {
      if (child.name() === "help") continue;
      paths.push([...path, child.name()]);
      walk(child, [...path, child.name()]);
    }
  };
  walk(program, []);
  return paths;
}

Deno.test("every --help lists the global options and writes defaults one way", async () => {
  const paths = commandPaths();
  assert.ok(paths.length >= 12, String(paths));
  for (const path of paths) {
    const result = await runInProcess([...path, "--help"]);
    const label = path.join(" ");
    assert.equal(result.code, 0, label);
    const global = result.stdout.split("Global Options:")[1] ?? "";
    assert.match(global, /--json/, `${label}: no Global Options block with --json`);
    assert.match(global, /--log-level <level>/, label);
    // `(default: 3)`, never `(default: "3")`, `(default 10001)` or `(default: false)`.
    const flat = result.stdout.replace(/\s+/g, " ");
    assert.doesNotMatch(flat, /\(default [^:]|default: "|default: false|choices: "/, label);
  }
});

Deno.test("commands with subcommands suggest on a typo and accept help", async () => {
  for (
    const [group, typo, suggestion] of [
      ["focus", "stauts", "status"],
      ["conbus", "sedn", "send"],
      ["systemd", "instal", "install"],
      ["kitty", "stup", "setup"],
    ]
  ) {
    const result = await runInProcess([group!, typo!]);
    assert.equal(result.code, 2, `${group} ${typo}`);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      `tether: unknown command '${typo}' (Did you mean ${suggestion}?)\n`,
    );
    const help = await runInProcess([group!, "help"]);
    assert.equal(help.code, 0, `${group} help: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`^Usage: tether ${group} `));
    const sub = await runInProcess([group!, "help", suggestion!]);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, new RegExp(`^Usage: tether ${group} ${suggestion}`));
  }
});

Deno.test("a write error on stdout: EPIPE is quiet, ENOSPC (>/dev/full) is one line and exit 1 — for every command", async () => {
  await using rtDir = await tempDir("tether-stdout-");
  const rt = rtDir.path;
  await chmod(rt, 0o700);
  const [command, ...prefix] = tetherCommand();
  const cases = [
    ["--version"],
    ["--help"],
    ["focus", "--help"],
    ["completions", "bash"],
    ["socket-health"],
    ["--json", "cleanup"],
    ["cleanup", "--verbose"],
    ["systemd", "install", "--dry-run", "--bin", "/bin/true"],
    ["doctor"],
  ];
  for (const args of cases) {
    if (args[0] === "doctor" && !commandPaths().some((path) => path[0] === "doctor")) continue;
    const env = { ...process.env, XDG_RUNTIME_DIR: rt, XDG_CONFIG_HOME: join(rt, "config") };
    const full = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(command!, [...prefix, ...args], {
        env,
        stdio: ["ignore", openSync("/dev/full", "w"), "pipe"],
      });
      let stderr = "";
      child.stderr!.on("data", (chunk) => (stderr += chunk));
      child.on("close", (code) => resolve({ code, stderr }));
    });
    const label = args.join(" ");
    assert.equal(full.code, 1, `${label} >/dev/full: ${full.stderr}`);
    assert.equal(
      full.stderr,
      "tether: cannot write to stdout: no space left on device (ENOSPC)\n",
      label,
    );
    const piped = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(command!, [...prefix, ...args], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout!.destroy(); // the reader is gone before tether writes: EPIPE
      let stderr = "";
      child.stderr!.on("data", (chunk) => (stderr += chunk));
      child.on("close", (code) => resolve({ code, stderr }));
    });
    const normal = await new Promise<number | null>((resolve) => {
      const child = spawn(command!, [...prefix, ...args], {
        env,
        stdio: ["ignore", "ignore", "ignore"],
      });
      child.on("close", (code) => resolve(code));
    });
    assert.equal(piped.stderr, "", `${label} | (closed): ${piped.stderr}`);
    assert.equal(piped.code, normal, `${label}: EPIPE keeps the command's own exit code`);
  }
});

Deno.test("--help lists the global options and exits 0", async () => {
  const result = await runInProcess(["--help"]);
  assert.equal(result.code, 0);
  for (const option of ["--json", "--log-level", "--version", "print a shell completion script"]) {
    assert.ok(result.stdout.includes(option), `help lacks ${option}`);
  }
});

Deno.test("an unknown command is one stderr line with a suggestion, exit 2", async () => {
  const result = await runInProcess(["completion", "bash"]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(
    result.stderr,
    /^tether: unknown command 'completion' \(Did you mean completions\?\)\n$/,
  );
});

Deno.test("an unknown option is one stderr line, exit 2", async () => {
  const result = await runInProcess(["--jsno"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^tether: unknown option '--jsno' \(Did you mean --json\?\)\n$/);
});

Deno.test("an invalid TETHER_LOG is a usage error naming the allowed levels", async () => {
  const result = await runInProcess(["completions", "bash"], {
    env: { ...process.env, TETHER_LOG: "loud" },
  });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^tether: .*loud.*debug.*\n$/);
  assert.equal(result.stderr.split("\n").length, 2, "one line");
});

Deno.test("the compiled binary runs and reports the same version, with its build commit", async () => {
  const result = await runProcess(["--version"]);
  assert.equal(result.code, 0);
  const binary = Boolean(process.env.TETHER_BIN);
  assert.match(
    result.stdout,
    binary
      ? new RegExp(
        `^tether ${denoConfig.version} \\([0-9a-f]{12}(-dirty)?, bun \\d+\\.\\d+\\.\\d+\\)\\n$`,
      )
      : new RegExp(`^tether ${denoConfig.version} \\(source, deno `),
  );
});

Deno.test("no subcommand prints the help on stderr and exits 2, with no extra error line", async () => {
  const result = await runInProcess([]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /^Usage: tether/);
  assert.doesNotMatch(result.stderr, /outputHelp|tether: /);
});

Deno.test("an unknown flag of a subcommand is one line with that subcommand's suggestion, exit 2", async () => {
  const result = await runInProcess(["cleanup", "--dryrun"]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /^tether: unknown option '--dryrun' \(Did you mean --dry-run\?\)\n$/);
});

Deno.test("the compiled binary reports usage errors as one line, exit 2, no stack trace", async () => {
  const command = await runProcess(["cleanpu"]);
  assert.equal(command.code, 2);
  assert.equal(command.stdout, "");
  assert.match(command.stderr, /^tether: unknown command 'cleanpu' \(Did you mean cleanup\?\)\n$/);
  const flag = await runProcess(["socket-health", "--timout", "1"]);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /^tether: unknown option '--timout' \(Did you mean --timeout\?\)\n$/);
});

/** A private 0700 runtime dir holding one stale sway socket of ours (its listener SIGKILLed). */
async function runtimeDirWithStaleSocket(): Promise<{ dir: string; socket: string }> {
  const dir = await mkdtemp(join(tmpdir(), "tether-loglevel-"));
  await chmod(dir, 0o700);
  const socket = join(dir, `sway-ipc.${process.getuid!()}.4999999.sock`);
  await createStaleSockets([socket]);
  return { dir, socket };
}

Deno.test("TETHER_LOG sets the log level and --log-level overrides it", async () => {
  const cases: { env: string | undefined; flag: string[]; logged: boolean }[] = [
    { env: undefined, flag: [], logged: false }, // default warn: a removal is info
    { env: "info", flag: [], logged: true },
    { env: "info", flag: ["--log-level", "warn"], logged: false },
    { env: "silent", flag: ["--log-level", "info"], logged: true },
  ];
  for (const { env, flag, logged } of cases) {
    const { dir, socket } = await runtimeDirWithStaleSocket();
    try {
      const environment: Record<string, string> = {
        ...process.env,
        XDG_RUNTIME_DIR: dir,
      } as Record<
        string,
        string
      >;
      delete environment.TETHER_LOG;
      delete environment.JOURNAL_STREAM;
      if (env !== undefined) environment.TETHER_LOG = env;
      const result = await runInProcess([...flag, "cleanup"], { env: environment });
      const label = `TETHER_LOG=${env} ${flag.join(" ")}`;
      assert.equal(result.code, 0, label);
      assert.equal(
        result.stderr.includes(`removed stale sway socket ${socket}`),
        logged,
        `${label}: ${JSON.stringify(result.stderr)}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

Deno.test("a program built for one subcommand declares it exactly as the whole program does", () => {
  const context = {
    env: {},
    stdout: () => {},
    stderr: () => {},
    stdoutIsTty: false,
    globals: () => ({ json: false, logLevel: "warn" as const }),
    logger: () => {
      throw new Error("nothing runs here");
    },
    setExitCode: () => {},
    shutdownSignal: new AbortController().signal,
  };
  const helpOf = (program: CommandUnknownOpts, path: string[]): string => {
    let command = program;
    for (const name of path) command = command.commands.find((child) => child.name() === name)!;
    return command.helpInformation();
  };
  const whole = programForInspection();
  const names = whole.commands.map((command) => command.name()).filter((name) =>
    name !== "completions"
  );
  assert.ok(names.length >= 7, String(names));
  for (const path of commandPaths().filter((path) => path[0] !== "completions")) {
    const alone = buildProgram(context, path[0]);
    assert.deepEqual(alone.commands.map((command) => command.name()), [path[0]]);
    assert.equal(helpOf(alone, path), helpOf(whole, path), path.join(" "));
  }
  // A word that is no subcommand (help, a typo) gets every subcommand, for help and suggestions.
  assert.deepEqual(
    buildProgram(context, "stauts").commands.map((command) => command.name()),
    [...names, "completions"],
  );
});

Deno.test("commandWord skips options and --log-level's value, and stops at --", () => {
  assert.equal(commandWord(["--log-level", "debug", "--json", "cleanup", "--dry-run"]), "cleanup");
  assert.equal(commandWord(["--log-level=debug", "focus", "status"]), "focus");
  assert.equal(commandWord(["--json"]), undefined);
  assert.equal(commandWord(["--", "cleanup"]), undefined);
});
