import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { completeWords, FILES_DIRECTIVE } from "../../src/cli/completions.ts";
import { programForInspection } from "../../src/cli/program.ts";
import { runInProcess, runProcess, tetherCommand } from "../support/cli.ts";
import { sleep, waitFor } from "../support/wait.ts";
import { startTmux } from "../support/tmux.ts";

const BASH_COMPLETION = "/usr/share/bash-completion/bash_completion";

function program() {
  return programForInspection();
}

/** A home with a `tether` wrapper on PATH and a few files to complete; removed by `cleanup`. */
async function shellHome() {
  const home = await mkdtemp(join(tmpdir(), "tether-completion-"));
  const bin = join(home, "bin");
  await mkdir(bin);
  const command = tetherCommand().map((part) => `'${part}'`).join(" ");
  await writeFile(join(bin, "tether"), `#!/bin/sh\nexec ${command} "$@"\n`);
  await chmod(join(bin, "tether"), 0o755);
  await writeFile(join(home, "tether-binary-here"), "");
  await writeFile(join(home, "rc.password.alt"), "");
  const env = {
    HOME: home,
    PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local/share"),
    ZDOTDIR: home,
    LANG: "C.UTF-8",
  };
  return {
    home,
    env,
    cleanup: () => rm(home, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }),
  };
}

/**
 * Runs bash's completion function the way readline does (COMP_WORDS, COMP_CWORD, COMP_LINE)
 * after sourcing the script twice, with or without the bash-completion package; returns the
 * candidates and everything bash printed on stderr.
 */
async function completeInBash(
  line: string,
  { withPackage }: { withPackage: boolean },
): Promise<{ candidates: string[]; stderr: string; home: string }> {
  const box = await shellHome();
  try {
    const script = `
      ${withPackage ? `source ${BASH_COMPLETION}` : ""}
      source <(tether completions bash)
      source <(tether completions bash)
      cd "$HOME"
      COMP_LINE="$1"; COMP_POINT=\${#1}
      read -ra COMP_WORDS <<<"$1"
      [[ "$1" == *" " ]] && COMP_WORDS+=("")
      COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
      _tether_complete
      printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout, stderr } = await promisify(execFile)("bash", ["-c", script, "bash", line], {
      env: box.env,
    });
    return { candidates: stdout.split("\n").filter(Boolean), stderr, home: box.home };
  } finally {
    await box.cleanup();
  }
}

Deno.test("the engine: subcommands, flags, global flags after a subcommand, choices, file names", () => {
  const tether = program();
  const complete = (...words: string[]) =>
    completeWords(tether, words).map((candidate) => candidate.value);
  assert.deepEqual(complete("fo"), ["focus"]);
  assert.deepEqual(complete("focus", "st"), ["status"]);
  assert.deepEqual(complete("focus", "--comp"), ["--compositor"]);
  assert.deepEqual(complete("focus", "--compositor", ""), ["auto", "niri", "sway", "i3"]);
  assert.deepEqual(complete("focus", "status", "--"), [
    "--format",
    "--json",
    "--log-level",
    "--help",
  ]);
  assert.deepEqual(complete("cleanup", "--j"), ["--json"]);
  assert.deepEqual(complete("socket-health", "--log-level", "d"), ["debug"]);
  assert.deepEqual(complete("completions", ""), ["bash", "zsh", "fish"]);
  assert.deepEqual(complete("--json", "conbus", ""), ["send", "serve"]);
  for (
    const words of [
      ["socket-health", "--path", ""],
      ["focus", "--password-file", "rc"],
      ["kitty", "setup", "--password-file", ""],
      ["systemd", "install", "--bin", "/usr/"],
    ]
  ) {
    assert.deepEqual(complete(...words), [FILES_DIRECTIVE], words.join(" "));
  }
  // A flag's value is not taken for a subcommand; `--` ends the flags.
  assert.deepEqual(complete("focus", "--app-id", "status", "re"), ["reconnect"]);
  assert.deepEqual(complete("cleanup", "--", "--d"), []);
  assert.ok(!complete("").includes("__complete"));
});

for (const withPackage of [false, true]) {
  const label = withPackage ? "with" : "without";
  Deno.test(`bash ${label} the bash-completion package: sourced twice, no errors, candidates`, async () => {
    const subcommands = await completeInBash("tether ", { withPackage });
    assert.equal(subcommands.stderr, "", "no readonly or _get_comp_words_by_ref errors");
    for (const name of ["focus", "socket-health", "cleanup", "doctor", "completions"]) {
      if (name === "doctor" && !subcommands.candidates.includes("doctor")) continue;
      assert.ok(subcommands.candidates.includes(name), `${name}: ${subcommands.candidates}`);
    }
    assert.deepEqual((await completeInBash("tether focus --comp", { withPackage })).candidates, [
      "--compositor",
    ]);
    assert.deepEqual(
      (await completeInBash("tether focus status --js", { withPackage })).candidates,
      ["--json"],
    );
    assert.deepEqual(
      (await completeInBash("tether systemd install --bin tether-b", { withPackage })).candidates,
      ["tether-binary-here"],
    );
  });
}

Deno.test("bash: the words typed are data — `$(touch …)` on the line is never run", async () => {
  const box = await shellHome();
  try {
    const marker = join(box.home, "pwned");
    const script = `
      source <(tether completions bash)
      COMP_WORDS=(tether '$(touch ${marker})' '\`touch ${marker}\`' '')
      COMP_CWORD=3
      _tether_complete
      echo done`;
    const { stdout } = await promisify(execFile)("bash", ["-c", script], { env: box.env });
    assert.match(stdout, /done/);
    assert.equal(existsSync(marker), false, "the command substitution ran");
  } finally {
    await box.cleanup();
  }
});

Deno.test("fish: real completions through fish's own engine (complete -C), file names, no eval", async () => {
  const box = await shellHome();
  try {
    const marker = join(box.home, "pwned");
    const fish = async (line: string) => {
      const script =
        `cd $HOME; tether completions fish | source; tether completions fish | source; complete -C ${
          JSON.stringify(line).replace(/\$/g, "\\$")
        }`;
      const { stdout, stderr } = await promisify(execFile)("fish", ["--no-config", "-c", script], {
        env: box.env,
      });
      assert.equal(stderr, "", line);
      return stdout.split("\n").filter(Boolean).map((entry) => entry.split("\t")[0]!);
    };
    assert.deepEqual(await fish("tether focus --comp"), ["--compositor"]);
    // fish sorts candidates itself.
    assert.deepEqual(await fish("tether focus --compositor "), ["auto", "i3", "niri", "sway"]);
    assert.deepEqual(await fish("tether focus status --js"), ["--json"]);
    assert.deepEqual(await fish("tether focus --password-file rc.pass"), ["rc.password.alt"]);
    await fish(`tether $(touch ${marker}) `);
    await fish(`tether (touch ${marker}) `);
    assert.equal(existsSync(marker), false, "a command substitution ran");
  } finally {
    await box.cleanup();
  }
});

/** Real TAB presses in a real terminal: a shell in tmux, the script sourced twice. */
async function tabInShell(
  shell: "bash" | "zsh" | "fish",
  check: (
    tab: (line: string, expected: RegExp) => Promise<string>,
    box: Awaited<ReturnType<typeof shellHome>>,
  ) => Promise<void>,
) {
  const box = await shellHome();
  const setup = {
    bash: ["bash", "--norc", "--noprofile", "-i"],
    zsh: ["zsh", "-f", "-i"],
    fish: ["fish", "--no-config", "-i"],
  }[shell];
  const tmux = await startTmux(setup, { ...box.env, SHELL: `/bin/${shell}` });
  try {
    const source = {
      bash: "PS1='ready> '; source <(tether completions bash); source <(tether completions bash)",
      zsh:
        "PS1='ready> '; autoload -U compinit; compinit -u; source <(tether completions zsh); source <(tether completions zsh)",
      fish:
        "function fish_prompt; echo -n 'ready> '; end; tether completions fish | source; tether completions fish | source",
    }[shell];
    await tmux.type(`cd ${box.home}; ${source}; clear`, "Enter");
    await tmux.waitForScreen(/^ready>$/m);
    const tab = async (line: string, expected: RegExp) => {
      // An empty prompt again: cancel (fish's first C-c may only close its pager), empty the
      // line, clear the screen; repeated until the screen is just the prompt.
      await waitFor("an empty prompt", async () => {
        await tmux.type("", "C-c", "C-e", "C-u");
        await tmux.type("clear", "Enter");
        await sleep(150); // the shell handles the keys
        return /^ready>$/.test(await tmux.screen()) ? true : undefined;
      });
      await tmux.type(line);
      await tmux.waitForScreen(/^ready> \S/m);
      await tmux.type("", "Tab");
      return await tmux.waitForScreen(expected);
    };
    await check(tab, box);
    const errors = await tmux.screen();
    assert.doesNotMatch(errors, /readonly|command not found|_get_comp_words_by_ref/);
  } finally {
    await tmux.stop();
    await box.cleanup();
  }
}

for (const shell of ["bash", "zsh", "fish"] as const) {
  Deno.test(`${shell}: real TAB in a terminal completes flags and file names and never runs the line`, async () => {
    await tabInShell(shell, async (tab, box) => {
      await tab("tether focus --comp", /^ready> tether focus --compositor$/m);
      await tab(
        "tether systemd install --bin tether-bin",
        /^ready> tether systemd install --bin tether-binary-here$/m,
      );
      const marker = join(box.home, "pwned");
      const screen = await tab(`tether $(touch ${marker}) foc`, /foc(us)?\S*$/m);
      await sleep(500); // time for a wrongly run substitution to create the marker
      assert.equal(existsSync(marker), false, `TAB ran the command substitution:\n${screen}`);
      const dry = await tab("tether cleanup --dry", /--dry-run$/m);
      assert.doesNotMatch(dry, /^\s*--\s*$|\s--\s*$/m, "no stray -- candidate");
    });
  });
}

Deno.test("the scripts are generated for the tether command", async () => {
  const zsh = await runProcess(["completions", "zsh"]);
  assert.equal(zsh.code, 0);
  assert.match(zsh.stdout, /^#compdef tether/);
  assert.doesNotMatch(zsh.stdout, /\beval\b/);
  const bash = await runProcess(["completions", "bash"]);
  assert.doesNotMatch(bash.stdout, /\beval\b|readonly|_get_comp_words_by_ref/);
  const fish = await runProcess(["completions", "fish"]);
  assert.match(fish.stdout, /complete -c tether/);
});

Deno.test("an unknown shell is a usage error, exit 2", async () => {
  const result = await runInProcess(["completions", "tcsh"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^tether: .*tcsh.*bash, zsh, fish.*\n$/);
});
