import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildProgram } from "../../src/cli/program.ts";
import { runInProcess, runProcess, tetherCommand } from "../support/cli.ts";

const BASH_COMPLETION = "/usr/share/bash-completion/bash_completion";

/** Completes `line` in a real bash that sourced `tether completions bash`; returns the candidates. */
async function completeInBash(line: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "tether-completion-"));
  try {
    const wrapper = join(dir, "tether");
    const command = tetherCommand().map((part) => `'${part}'`).join(" ");
    await writeFile(wrapper, `#!/bin/sh\nexec ${command} "$@"\n`);
    await chmod(wrapper, 0o755);
    const script = `
      source ${BASH_COMPLETION}
      source <(tether completions bash)
      compopt() { :; }  # only valid inside a real completion; the candidates are what we test
      COMP_LINE="$1"; COMP_POINT=\${#1}
      read -ra COMP_WORDS <<<"$1"
      [[ "$1" == *" " ]] && COMP_WORDS+=("")
      COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
      __tether_complete
      printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await promisify(execFile)("bash", ["-c", script, "bash", line], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    });
    return stdout.split("\n").filter(Boolean);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function visibleSubcommands(): string[] {
  const { stdout, stderr } = { stdout: () => {}, stderr: () => {} };
  const program = buildProgram({
    env: {},
    stdout,
    stderr,
    stdoutIsTty: false,
    globals: () => ({ json: false, logLevel: "warn" }),
    logger: () => {
      throw new Error("unused");
    },
    setExitCode: () => {},
    shutdownSignal: new AbortController().signal,
  });
  return program.commands
    .filter((command) => !(command as unknown as { _hidden: boolean })._hidden)
    .map((command) => command.name());
}

Deno.test("bash: completing `tether ` offers every subcommand", async () => {
  const offered = await completeInBash("tether ");
  const expected = visibleSubcommands();
  assert.ok(expected.includes("completions"));
  for (const name of expected) assert.ok(offered.includes(name), `${name} not offered: ${offered}`);
  assert.ok(!offered.includes("complete"), "the hidden callback command is not offered");
});

Deno.test("bash: flags and their choices complete", async () => {
  assert.deepEqual(await completeInBash("tether --js"), ["--json"]);
  assert.deepEqual(await completeInBash("tether --log-level "), [
    "debug",
    "info",
    "warn",
    "error",
    "silent",
  ]);
  assert.deepEqual(await completeInBash("tether completions "), [
    "zsh",
    "bash",
    "fish",
    "powershell",
  ]);
});

Deno.test("bash: nested subcommands and a subcommand's own flags complete", async () => {
  assert.deepEqual(await completeInBash("tether cleanup --d"), ["--dry-run"]);
  assert.deepEqual(await completeInBash("tether focus --comp"), ["--compositor"]);
  assert.deepEqual(await completeInBash("tether focus --compositor "), [
    "auto",
    "niri",
    "sway",
    "i3",
  ]);
  assert.deepEqual(await completeInBash("tether socket-health --kind "), [
    "sway",
    "i3",
    "niri",
    "kitty",
    "tether",
  ]);
  assert.deepEqual(await completeInBash("tether conbus send --h"), ["--host", "--help"]);
  const conbus = await completeInBash("tether conbus ");
  for (const name of ["send", "serve"]) assert.ok(conbus.includes(name), `${name}: ${conbus}`);
  const systemd = await completeInBash("tether systemd ");
  for (const name of ["install", "uninstall"]) assert.ok(systemd.includes(name), `${systemd}`);
});

Deno.test("zsh and fish scripts are generated for the tether command", async () => {
  const zsh = await runProcess(["completions", "zsh"]);
  assert.equal(zsh.code, 0);
  assert.match(zsh.stdout, /#compdef tether/);
  const fish = await runProcess(["completions", "fish"]);
  assert.equal(fish.code, 0);
  assert.match(fish.stdout, /complete -c tether/);
});

Deno.test("an unknown shell is a usage error, exit 2", async () => {
  const result = await runInProcess(["completions", "tcsh"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^tether: .*tcsh.*\n$/);
});
