import assert from "node:assert/strict";
import denoConfig from "../../deno.json" with { type: "json" };
import { runInProcess, runProcess } from "../support/cli.ts";

Deno.test("--version prints the version from deno.json and exits 0", async () => {
  const result = await runInProcess(["--version"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), denoConfig.version);
  assert.equal(result.stderr, "");
});

Deno.test("--help lists the global options and exits 0", async () => {
  const result = await runInProcess(["--help"]);
  assert.equal(result.code, 0);
  for (const option of ["--json", "--log-level", "--version"]) {
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
