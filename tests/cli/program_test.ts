import assert from "node:assert/strict";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import denoConfig from "../../deno.json" with { type: "json" };
import { runInProcess, runProcess } from "../support/cli.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";

Deno.test("--version prints the version from deno.json and exits 0", async () => {
  const result = await runInProcess(["--version"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), denoConfig.version);
  assert.equal(result.stderr, "");
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

Deno.test("the compiled binary runs and reports the same version", async () => {
  const result = await runProcess(["--version"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), denoConfig.version);
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
