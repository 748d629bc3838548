/**
 * scripts/install.sh for real: builds, installs into a prefix with spaces (the default
 * ~/.local of a HOME with spaces), and checks that bash-completion, zsh, fish and man find the
 * files where they look; a second install over the first, while `tether focus` runs from it;
 * and the failures (unwritable prefix, a target in the way, no npm) leave nothing behind.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
} from "node:fs";
import process from "node:process";
import { join } from "node:path";
import { REPO_ROOT } from "../support/cli.ts";
import { run, type RunResult } from "../support/test_user.ts";
import { waitFor } from "../support/wait.ts";
import { tempDir } from "../support/temp_dir.ts";

const INSTALL = join(REPO_ROOT, "scripts", "install.sh");
const FILES = [
  "bin/tether",
  "share/bash-completion/completions/tether",
  "share/zsh/site-functions/_tether",
  "share/fish/vendor_completions.d/tether.fish",
  "share/man/man1/tether.1",
];
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";
/**
 * deno bundle fetches esbuild into deno's cache once (from the npm registry); the tests' HOMEs
 * are fresh, so they share this run's cache instead of the network.
 */
const DENO_DIR = process.env.DENO_DIR ?? join(process.env.HOME ?? "/root", ".cache", "tether-deno");

function install(args: string[], env: Record<string, string>, script = INSTALL) {
  return run([
    "env",
    "-i",
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    "bash",
    script,
    ...args,
  ], {
    timeoutMs: 300_000,
  });
}

function oneLine(result: RunResult): string {
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  return lines[0]!;
}

/** Every file below `dir`, relative, sorted (temp files included: nothing may be left over). */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((name) => !statSync(join(dir, name)).isDirectory())
    .sort();
}

Deno.test("install.sh into ~/.local: the files, where shells and man look, twice, beside a running tether focus", async () => {
  // bash-completion 2.11 splits its user directory at spaces, so this HOME has none; the
  // next test covers a prefix with spaces.
  await using rootDir = await tempDir("tether-install-");
  const root = rootDir.path;
  const home = join(root, "home");
  const prefix = join(home, ".local");
  const runtime = join(root, "run");
  mkdirSync(home);
  mkdirSync(runtime, { mode: 0o700 });
  const env = { HOME: home, PATH: SYSTEM_PATH, DENO_DIR };
  let daemon: ChildProcess | null = null;
  try {
    const first = await install([], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /installed tether \S+ \([0-9a-f]{12}(-dirty)?, bun [\d.]+\) into .*\/home\/\.local\n/,
    );
    assert.deepEqual(tree(prefix), [...FILES].sort());
    const bin = join(prefix, "bin", "tether");
    assert.equal(statSync(bin).mode & 0o777, 0o755);
    assert.equal(
      readFileSync(join(prefix, "share/zsh/site-functions/_tether"), "utf8").split("\n")[0],
      "#compdef tether",
    );
    assert.match(readFileSync(join(prefix, "share/man/man1/tether.1"), "utf8"), /^\.TH TETHER 1 /);

    const userEnv = { HOME: home, PATH: `${prefix}/bin:${SYSTEM_PATH}` };
    const envArgs = Object.entries(userEnv).map(([key, value]) => `${key}=${value}`);
    // man finds the page through PATH (bin/ -> share/man), with no MANPATH.
    const man = await run(["env", "-i", ...envArgs, "man", "-w", "tether"]);
    assert.equal(man.stdout.trim(), join(prefix, "share/man/man1/tether.1"), man.stderr);
    // bash-completion loads completions next to the command found on PATH.
    const bash = await run([
      "env",
      "-i",
      ...envArgs,
      "bash",
      "-c",
      ". /usr/share/bash-completion/bash_completion && __load_completion tether && complete -p tether",
    ]);
    assert.match(bash.stdout, /complete .* tether$/m, bash.stderr);
    // fish reads ~/.local/share/fish/vendor_completions.d.
    const fish = await run(["env", "-i", ...envArgs, "fish", "-c", "complete -C 'tether syst'"]);
    assert.match(fish.stdout, /^systemd\t/m, fish.stdout + fish.stderr);
    // zsh: the file is an autoloadable completion function once its directory is on fpath.
    const zsh = await run([
      "env",
      "-i",
      ...envArgs,
      "zsh",
      "-f",
      "-c",
      `fpath=(${JSON.stringify(join(prefix, "share/zsh/site-functions"))} $fpath); ` +
      `autoload -Uz compinit; compinit -u -d ${
        JSON.stringify(join(root, "zcompdump"))
      }; print -r -- $_comps[tether]`,
    ]);
    assert.equal(zsh.stdout.trim(), "_tether", zsh.stderr);

    // tether focus runs from the installed binary (waiting: no compositor here).
    daemon = spawn(bin, ["focus", "--wait"], {
      env: { PATH: SYSTEM_PATH, HOME: home, XDG_RUNTIME_DIR: runtime },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let daemonErr = "";
    daemon.stderr!.on("data", (chunk) => (daemonErr += chunk));
    const exited = new Promise<number | null>((resolve) =>
      daemon!.on("exit", (code) => resolve(code))
    );
    await waitFor(
      "the daemon's waiting line",
      () => (daemonErr.includes("no compositor yet") ? true : undefined),
      10_000,
    );
    const before = statSync(bin).ino;
    const contents = FILES.slice(1).map((file) => readFileSync(join(prefix, file), "utf8"));

    const second = await install(["--prefix", prefix], env);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(tree(prefix), [...FILES].sort(), "nothing extra after a second install");
    assert.deepEqual(
      FILES.slice(1).map((file) => readFileSync(join(prefix, file), "utf8")),
      contents,
    );
    // The binary was replaced by rename: the running daemon keeps the old inode, undisturbed.
    assert.notEqual(statSync(bin).ino, before);
    assert.match(readlinkSync(`/proc/${daemon.pid}/exe`), /\(deleted\)$/);
    assert.equal(daemon.exitCode, null, "the running tether focus was disturbed");
    // process.kill, not daemon.kill: Deno's ChildProcess.kill ends the child without running
    // its SIGTERM handler (measured: exit by signal instead of 0).
    process.kill(daemon.pid!, "SIGTERM");
    assert.equal(await exited, 0, daemonErr);
    assert.equal(daemonErr.trim().split("\n").length, 1, daemonErr);
    daemon = null;
    const version = await run([bin, "--version"]);
    assert.equal(version.code, 0);
  } finally {
    if (daemon?.pid && daemon.exitCode === null) process.kill(daemon.pid, "SIGKILL");
  }
});

Deno.test("install.sh into a prefix with spaces installs every file and a binary that runs", async () => {
  await using rootDir = await tempDir("tether install ");
  const root = rootDir.path;
  const prefix = join(root, "my prefix");
  const result = await install(["--prefix", prefix], { HOME: root, PATH: SYSTEM_PATH, DENO_DIR });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(tree(prefix), [...FILES].sort());
  const version = await run([join(prefix, "bin", "tether"), "--version"]);
  assert.equal(version.code, 0, version.stderr);
  const man = await run([
    "env",
    "-i",
    `PATH=${prefix}/bin:${SYSTEM_PATH}`,
    "man",
    "-w",
    "tether",
  ]);
  assert.equal(man.stdout.trim(), join(prefix, "share/man/man1/tether.1"), man.stderr);
});

Deno.test("install.sh into a read-only prefix: one line, exit 1, nothing written", async () => {
  await using rootDir = await tempDir("tether-install-ro-");
  const root = rootDir.path;
  // Root ignores permission bits: a read-only mount is unwritable for everyone.
  const result = await run([
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "bash",
    "-c",
    `mount -t tmpfs -o ro tmpfs "$1" && env -i HOME="$1" PATH=${SYSTEM_PATH} bash "$2" --prefix "$1/prefix"`,
    "sh",
    root,
    INSTALL,
  ]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    oneLine(result),
    /^install: cannot create .*\/prefix\/bin; choose a writable --prefix$/,
  );
  assert.deepEqual(tree(root), []);
});

Deno.test("install.sh with a directory where a file goes: one line, exit 1, nothing installed", async () => {
  await using prefixDir = await tempDir("tether-install-dir-");
  const prefix = prefixDir.path;
  mkdirSync(join(prefix, "share/man/man1/tether.1"), { recursive: true });
  const result = await install(["--prefix", prefix], {
    HOME: prefix,
    PATH: SYSTEM_PATH,
    DENO_DIR,
  });
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    oneLine(result),
    /tether\.1 is a directory; remove it or choose another --prefix$/,
  );
  assert.deepEqual(tree(prefix), []);
});

Deno.test("install.sh without the toolchain and without npm: one line naming npm, exit 1", async () => {
  await using rootDir = await tempDir("tether-install-nonpm-");
  const root = rootDir.path;
  try {
    // A checkout without tools/node_modules, and a PATH with every system command but npm/node.
    mkdirSync(join(root, "clone", "scripts"), { recursive: true });
    cpSync(INSTALL, join(root, "clone", "scripts", "install.sh"));
    const bin = join(root, "bin");
    mkdirSync(bin);
    for (const name of readdirSync("/usr/bin")) {
      if (!/^(npm|npx|node|nodejs)$/.test(name)) {
        symlinkSync(join("/usr/bin", name), join(bin, name));
      }
    }
    const result = await install(
      ["--prefix", join(root, "prefix")],
      { HOME: root, PATH: bin },
      join(root, "clone", "scripts", "install.sh"),
    );
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      oneLine(result),
      /^install: npm and Node\.js are needed once, to fetch the pinned deno and bun/,
    );
    assert.deepEqual(tree(join(root, "prefix")), []);
  } finally {
    chmodSync(root, 0o700);
  }
});

Deno.test("install.sh with an unknown argument is a usage error (exit 2)", async () => {
  const result = await install(["--prefx", "/tmp"], { HOME: "/nonexistent", PATH: SYSTEM_PATH });
  assert.equal(result.code, 2);
  assert.match(
    oneLine(result),
    /unknown argument '--prefx' \(usage: scripts\/install\.sh \[--prefix DIR\]\)/,
  );
});
