import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT, runInProcess, runProcess } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";

const unitPath = (home: string, name: string) => join(home, "systemd", "user", name);

const UNITS = [
  "tether-cleanup.service",
  "tether-cleanup.timer",
  "tether-focus.service",
  "tether-session.target",
];

Deno.test("systemd install writes three units with the given binary and prints the commands", async () => {
  await using homeDir = await tempDir("tether-config-");
  const home = homeDir.path;
  const result = await runInProcess(["systemd", "install", "--bin", "/bin/true"], {
    env: { XDG_CONFIG_HOME: home },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    readFileSync(unitPath(home, "tether-cleanup.service"), "utf8"),
    /ExecStart=\/bin\/true cleanup/,
  );
  assert.ok(existsSync(unitPath(home, "tether-cleanup.timer")));
  assert.match(
    readFileSync(unitPath(home, "tether-focus.service"), "utf8"),
    /ExecStart=\/bin\/true focus --compositor auto /,
  );
  assert.ok(existsSync(unitPath(home, "tether-session.target")));
  assert.match(result.stdout, /systemctl --user daemon-reload/);
  assert.match(result.stdout, /systemctl --user enable --now tether-cleanup.timer/);
  assert.match(result.stdout, /systemctl --user enable --now tether-focus.service/);
});

Deno.test("systemd install --dry-run writes nothing", async () => {
  await using homeDir = await tempDir("tether-config-");
  const home = homeDir.path;
  const result = await runInProcess(["systemd", "install", "--dry-run", "--bin", "/bin/true"], {
    env: { XDG_CONFIG_HOME: home },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /OnUnitActiveSec=5min/);
  assert.equal(existsSync(join(home, "systemd")), false);
});

Deno.test("a changed unit is not overwritten without --force (exit 1), and is with it", async () => {
  await using homeDir = await tempDir("tether-config-");
  const home = homeDir.path;
  const env = { XDG_CONFIG_HOME: home };
  await runInProcess(["systemd", "install", "--bin", "/bin/true"], { env });
  writeFileSync(unitPath(home, "tether-focus.service"), "[Service]\nExecStart=/my/own focus\n");
  const refused = await runInProcess(["systemd", "install", "--bin", "/bin/true"], { env });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /--force/);
  assert.match(readFileSync(unitPath(home, "tether-focus.service"), "utf8"), /\/my\/own/);
  const forced = await runInProcess(["systemd", "install", "--bin", "/bin/true", "--force"], {
    env,
  });
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(readFileSync(unitPath(home, "tether-focus.service"), "utf8"), /\/bin\/true focus/);
});

Deno.test("--json reports each unit's action", async () => {
  await using homeDir = await tempDir("tether-config-");
  const home = homeDir.path;
  const env = { XDG_CONFIG_HOME: home };
  await runInProcess(["systemd", "install", "--bin", "/bin/true"], { env });
  const again = await runInProcess(["--json", "systemd", "install", "--bin", "/bin/true"], {
    env,
  });
  const report = JSON.parse(again.stdout);
  assert.deepEqual(report.units.map((unit: { action: string }) => unit.action), [
    "unchanged",
    "unchanged",
    "unchanged",
    "unchanged",
  ]);
});

Deno.test("a relative or missing --bin is one line, exit 2", async () => {
  for (const bin of ["tether", "/nonexistent/tether"]) {
    const result = await runInProcess(["systemd", "install", "--bin", bin], {
      env: { XDG_CONFIG_HOME: "/nonexistent" },
    });
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  }
});

Deno.test("install prints the two lines for sway's config and writes --compositor into the unit", async () => {
  await using homeDir = await tempDir("tether-config-");
  const home = homeDir.path;
  const env = { XDG_CONFIG_HOME: home };
  const args = ["systemd", "install", "--bin", "/bin/true", "--compositor", "sway"];
  const result = await runInProcess(args, { env });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(
    result.stdout.endsWith(
      "\nsway: add these lines to ~/.config/sway/config:\n" +
        "  exec systemctl --user start tether-session.target\n" +
        `  exec swaymsg -t subscribe '["shutdown"]' || true && systemctl --user stop tether-session.target\n`,
    ),
    result.stdout,
  );
  assert.doesNotMatch(result.stdout, /i3:|niri:/);
  assert.match(
    readFileSync(unitPath(home, "tether-focus.service"), "utf8"),
    /^ExecStart=\/bin\/true focus --compositor sway --app-id kitty --font-delta 3$/m,
  );
  const json = JSON.parse((await runInProcess(["--json", ...args], { env })).stdout);
  assert.equal(json.sway_config_lines.length, 2);
  assert.equal(json.i3_config_lines.length, 2);
  // auto: what each compositor needs; i3: only i3's lines.
  const auto = await runInProcess([...args.slice(0, 4), "--dry-run"], { env });
  assert.match(
    auto.stdout,
    /\nniri: nothing to add .*\n\nsway: .*\n.*\n.*\n\ni3: add these lines to ~\/\.config\/i3\/config:\n {2}exec --no-startup-id systemctl --user start tether-session.target\n/,
  );
  const i3 = await runInProcess([...args.slice(0, 4), "--dry-run", "--compositor", "i3"], {
    env,
  });
  assert.match(i3.stdout, /focus --compositor i3 /);
  assert.doesNotMatch(i3.stdout, /sway:|niri:/);
  // Other settings replace tether's own unedited unit without --force.
  const niri = await runInProcess([...args.slice(0, 4), "--compositor", "niri"], { env });
  assert.equal(niri.code, 0, niri.stderr);
  assert.match(niri.stdout, /replaced +\S+tether-focus\.service/);
  const bad = await runInProcess([...args.slice(0, 4), "--cleanup-interval", "often"], { env });
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
});

Deno.test("install --app-id is repeatable: one --app-id per id in ExecStart; an empty one is exit 2", async () => {
  await using homeDir = await tempDir("tether-config-");
  const home = homeDir.path;
  const env = { XDG_CONFIG_HOME: home };
  const args = ["systemd", "install", "--bin", "/bin/true"];
  const result = await runInProcess([...args, "--app-id", "kitty", "--app-id", "my dropdown"], {
    env,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    readFileSync(unitPath(home, "tether-focus.service"), "utf8"),
    /^ExecStart=\/bin\/true focus --compositor auto --app-id kitty --app-id "my dropdown" --font-delta 3$/m,
  );
  const empty = await runInProcess([...args, "--app-id", "kitty", "--app-id", " "], { env });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /^[^\n]*--app-id must not be empty\n$/);
});

Deno.test("uninstall keeps a unit edited below tether's marker line unless --force", async () => {
  await using homeDir = await tempDir("tether-config-");
  const home = homeDir.path;
  const env = { XDG_CONFIG_HOME: home };
  await runInProcess(["systemd", "install", "--bin", "/bin/true"], { env });
  const path = unitPath(home, "tether-focus.service");
  const edited = readFileSync(path, "utf8").replace("RestartSec=2s", "RestartSec=30s");
  writeFileSync(path, edited);
  const kept = await runInProcess(["systemd", "uninstall"], { env });
  assert.equal(kept.code, 1, kept.stderr);
  assert.match(kept.stdout, /kept \(changed\) +\S+tether-focus\.service/);
  assert.equal(readFileSync(path, "utf8"), edited);
  assert.equal(existsSync(unitPath(home, "tether-cleanup.timer")), false);
  const refused = await runInProcess(["systemd", "install", "--bin", "/bin/true"], { env });
  assert.equal(refused.code, 1);
  assert.equal(readFileSync(path, "utf8"), edited);
  const forced = await runInProcess(["systemd", "uninstall", "--force"], { env });
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(existsSync(path), false);
});

Deno.test("uninstall removes tether's units and keeps hand-changed ones without --force", async () => {
  await using homeDir = await tempDir("tether-config-");
  const home = homeDir.path;
  const env = { XDG_CONFIG_HOME: home };
  await runInProcess(["systemd", "install", "--bin", "/bin/true"], { env });
  writeFileSync(unitPath(home, "tether-focus.service"), "[Service]\nExecStart=/my/own focus\n");
  const first = await runInProcess(["systemd", "uninstall"], { env });
  assert.equal(first.code, 1);
  assert.equal(existsSync(unitPath(home, "tether-cleanup.service")), false);
  assert.equal(existsSync(unitPath(home, "tether-cleanup.timer")), false);
  assert.equal(existsSync(unitPath(home, "tether-focus.service")), true);
  const forced = await runInProcess(["systemd", "uninstall", "--force"], { env });
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(existsSync(unitPath(home, "tether-focus.service")), false);
});

const DISABLE = "systemctl --user disable --now tether-cleanup.timer tether-focus.service";

Deno.test("uninstall --dry-run lists what would go, prints the disable command, removes nothing", async () => {
  await using homeDir = await tempDir("tether-config-");
  const home = homeDir.path;
  const env = { XDG_CONFIG_HOME: home };
  await runInProcess(["systemd", "install", "--bin", "/bin/true"], { env });
  const result = await runInProcess(["systemd", "uninstall", "--dry-run"], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.startsWith(`First run:\n  ${DISABLE}\n`), result.stdout);
  for (const name of UNITS) {
    assert.match(result.stdout, new RegExp(`would remove +${unitPath(home, name)}`));
    assert.ok(existsSync(unitPath(home, name)), name);
  }
  assert.match(result.stdout, /Then run:\n {2}systemctl --user daemon-reload\n$/);
  const json = await runInProcess(["--json", "systemd", "uninstall", "--dry-run"], { env });
  const report = JSON.parse(json.stdout);
  assert.equal(report.dry_run, true);
  assert.deepEqual(report.units.map((unit: { action: string }) => unit.action), [
    "would remove",
    "would remove",
    "would remove",
    "would remove",
  ]);
  assert.deepEqual(report.commands, [DISABLE, "systemctl --user daemon-reload"]);
});

Deno.test("uninstall keeps enabled units until they are disabled (or --force), and says how", async () => {
  await using homeDir = await tempDir("tether-config-");
  const home = homeDir.path;
  const env = { XDG_CONFIG_HOME: home };
  await runInProcess(["systemd", "install", "--bin", "/bin/true"], { env });
  // What `systemctl --user enable` leaves behind.
  const wants = join(home, "systemd", "user", "timers.target.wants");
  mkdirSync(wants);
  symlinkSync(unitPath(home, "tether-cleanup.timer"), join(wants, "tether-cleanup.timer"));
  for (const args of [["systemd", "uninstall"], ["systemd", "uninstall", "--dry-run"]]) {
    const blocked = await runInProcess(args, { env });
    assert.equal(blocked.code, 1, args.join(" "));
    assert.equal(blocked.stderr.trim().split("\n").length, 1, blocked.stderr);
    assert.match(blocked.stderr, /still enabled .*timers\.target\.wants\/tether-cleanup\.timer/);
    assert.match(blocked.stdout, /kept \(enabled\) +\S+tether-focus\.service/);
    assert.ok(blocked.stdout.includes(`First run:\n  ${DISABLE}\n`), blocked.stdout);
    assert.ok(existsSync(unitPath(home, "tether-cleanup.timer")));
  }
  const forced = await runInProcess(["systemd", "uninstall", "--force"], { env });
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(existsSync(unitPath(home, "tether-cleanup.timer")), false);
  assert.ok(forced.stdout.includes(`Now run:\n  ${DISABLE}\n`), forced.stdout);
});

Deno.test("uninstall of disabled units removes them and asks only for daemon-reload", async () => {
  await using homeDir = await tempDir("tether-config-");
  const home = homeDir.path;
  const env = { XDG_CONFIG_HOME: home };
  await runInProcess(["systemd", "install", "--bin", "/bin/true"], { env });
  const result = await runInProcess(["systemd", "uninstall"], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /removed +\S+tether-session\.target\nThen run:\n {2}systemctl --user daemon-reload\n$/,
  );
  assert.equal(existsSync(unitPath(home, "tether-focus.service")), false);
});

Deno.test("install without --bin under deno run: one line, exit 2, nothing written", async () => {
  await using homeDir = await tempDir("tether-config-");
  const home = homeDir.path;
  const env = { ...process.env, XDG_CONFIG_HOME: home, NO_COLOR: "1" };
  // Always from source here, whatever TETHER_BIN says: this is the deno-run case.
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        "run",
        "--allow-all",
        "--no-check",
        "--quiet",
        REPO_ROOT + "main.ts",
        "systemd",
        "install",
      ],
      { env, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stderr }));
  });
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  assert.match(result.stderr, /runs under deno, not as its compiled binary; pass --bin/);
  assert.equal(existsSync(join(home, "systemd")), false);
});

Deno.test({
  name: "install without --bin from the compiled binary (TETHER_BIN) writes its own path",
  ignore: !process.env.TETHER_BIN,
  fn: async () => {
    await using homeDir = await tempDir("tether-config-");
    const home = homeDir.path;
    const result = await runProcess(["systemd", "install"], {
      env: { ...process.env, XDG_CONFIG_HOME: home },
    });
    assert.equal(result.code, 0, result.stderr);
    const binary = process.env.TETHER_BIN!;
    const lines = (name: string) => readFileSync(unitPath(home, name), "utf8").split("\n");
    assert.ok(lines("tether-cleanup.service").includes(`ExecStart=${binary} cleanup`));
    assert.ok(
      lines("tether-focus.service").includes(
        `ExecStart=${binary} focus --compositor auto --app-id kitty --font-delta 3`,
      ),
    );
  },
});
