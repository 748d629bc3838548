import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderChecks } from "../../src/cli/doctor_action.ts";
import type { CheckResult } from "../../src/doctor/check_result.ts";
import { FakeConbusBridge } from "../fakes/conbus_bridge.ts";
import { startFakeSway } from "../fakes/sway_peer.ts";
import { type CliResult, runInProcess } from "../support/cli.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";

const UID = process.getuid!();

interface Checks {
  status: string;
  checks: { check: string; status: string; message: string; fix: string | null }[];
}

/**
 * A user set up as `tether kitty setup` leaves them (include line added), a private runtime
 * dir, and a fake sway at $SWAYSOCK answering GET_VERSION; PATH has no systemctl unless asked.
 */
async function machine(options: { systemctl?: boolean; hungSway?: boolean } = {}) {
  const root = await mkdtemp(join(tmpdir(), "tether-doctor-"));
  const home = join(root, "home");
  const rt = join(root, "run");
  await mkdir(rt, { mode: 0o700 });
  await chmod(rt, 0o700);
  await mkdir(home);
  const swaySocket = join(rt, `sway-ipc.${UID}.${process.pid}.sock`);
  const sway = await startFakeSway(swaySocket, { hung: options.hungSway });
  const env: Record<string, string> = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_RUNTIME_DIR: rt,
    SWAYSOCK: swaySocket,
    PATH: options.systemctl ? "/usr/bin:/bin" : join(root, "no-bin"),
  };
  const setup = await runInProcess(["kitty", "setup"], { env });
  assert.equal(setup.code, 0, setup.stderr);
  const kittyConf = join(home, ".config/kitty/kitty.conf");
  await writeFile(kittyConf, "font_size 11\ninclude tether.conf\n");
  const password = (await readFile(join(home, ".config/kitty/rc.password"), "utf8")).trim();
  const doctor = async (...args: string[]): Promise<CliResult & { json: Checks | null }> => {
    const result = await runInProcess(["doctor", "--timeout", "300ms", ...args], { env });
    const json = await runInProcess(["--json", "doctor", "--timeout", "300ms", ...args], { env });
    for (const output of [result.stdout, result.stderr, json.stdout, json.stderr]) {
      assert.ok(!output.includes(password), "the kitty password was printed");
    }
    assert.equal(json.code, result.code);
    return { ...result, json: JSON.parse(json.stdout) };
  };
  return {
    root,
    home,
    rt,
    env,
    kittyConf,
    doctor,
    cleanup: async () => {
      await sway.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

function line(result: CliResult, check: string): string {
  const found = result.stdout.split("\n").find((text) => text.slice(6).startsWith(check + " "));
  assert.ok(found, `no ${check} line in\n${result.stdout}`);
  return found;
}

function checkOf(result: { json: Checks | null }, check: string) {
  const found = result.json!.checks.find((entry) => entry.check === check);
  assert.ok(found, `no ${check} in ${JSON.stringify(result.json)}`);
  return found;
}

Deno.test("doctor on a set-up machine: all ok or skipped, exit 0, text and JSON agree", async () => {
  const box = await machine();
  try {
    const result = await box.doctor();
    assert.equal(result.code, 0, result.stdout);
    assert.equal(result.stderr, "");
    assert.equal(result.json!.status, "ok");
    assert.match(line(result, "runtime_dir"), /^ok {4}runtime_dir +.*\(yours, 0700\)$/);
    assert.match(line(result, "compositor"), /^ok {4}compositor +sway 1\.7 answers at .*sway-ipc/);
    assert.match(
      line(result, "kitty_config"),
      /^ok .*includes tether\.conf; .*rc\.password is yours and 0600$/,
    );
    assert.match(line(result, "kitty"), /^– +kitty +no kitty is running$/);
    assert.match(line(result, "systemd"), /^– +systemd +systemctl not found$/);
    assert.match(line(result, "stale_sockets"), /^ok /);
    assert.match(line(result, "conbus"), /^– +conbus +no Conbus bridge configured$/);
    assert.match(result.stdout, /\n0 failed, 0 warnings, \d+ ok, 3 skipped\n$/);
    assert.deepEqual(
      result.json!.checks.map((entry) => entry.check),
      [
        "runtime_dir",
        "config",
        "compositor",
        "kitty_config",
        "kitty",
        "systemd",
        "stale_sockets",
        "conbus",
      ],
    );
  } finally {
    await box.cleanup();
  }
});

Deno.test("doctor catches a runtime dir others can enter (0755) and a shared one (sticky, world-writable)", async () => {
  const box = await machine();
  try {
    await chmod(box.rt, 0o755);
    const open = await box.doctor();
    assert.equal(open.code, 1);
    assert.equal(checkOf(open, "runtime_dir").status, "fail");
    assert.equal(checkOf(open, "runtime_dir").fix, `chmod 0700 ${box.rt}`);
    await chmod(box.rt, 0o1777);
    const shared = await box.doctor();
    assert.equal(shared.code, 1);
    assert.match(checkOf(shared, "runtime_dir").message, /is shared/);
    assert.equal(
      checkOf(shared, "runtime_dir").fix,
      `XDG_RUNTIME_DIR must be your private 0700 directory (usually /run/user/${UID})`,
    );
  } finally {
    await box.cleanup();
  }
});

Deno.test("doctor catches a hung compositor (accepts, never answers)", async () => {
  const box = await machine({ hungSway: true });
  try {
    const result = await box.doctor();
    assert.equal(result.code, 1);
    const compositor = checkOf(result, "compositor");
    assert.equal(compositor.status, "fail");
    assert.match(compositor.message, /does not answer/);
    assert.match(compositor.fix!, /kill -CONT/);
    assert.match(result.stdout, /^FAIL {2}compositor /m);
    assert.match(result.stdout, /^ +fix: the compositor .* is hung or stopped/m);
  } finally {
    await box.cleanup();
  }
});

Deno.test("doctor catches a password file others can read, and kitty.conf without the include", async () => {
  const box = await machine();
  try {
    const passwordFile = join(box.home, ".config/kitty/rc.password");
    await chmod(passwordFile, 0o644);
    const loose = await box.doctor();
    assert.equal(loose.code, 1);
    assert.equal(checkOf(loose, "kitty_config").fix, `chmod 600 ${passwordFile}`);
    await chmod(passwordFile, 0o600);
    await writeFile(box.kittyConf, "font_size 11\n");
    const noInclude = await box.doctor();
    assert.equal(noInclude.code, 1);
    assert.match(
      checkOf(noInclude, "kitty_config").message,
      /lacks the line "include tether\.conf"/,
    );
  } finally {
    await box.cleanup();
  }
});

Deno.test("doctor reads focus.password_file from config.yml, and catches a broken config.yml", async () => {
  const box = await machine();
  try {
    const configDir = join(box.home, ".config/tether");
    await mkdir(configDir, { recursive: true });
    await writeFile(join(configDir, "config.yml"), "focus:\n  password_file: ~/elsewhere.pw\n");
    const moved = await box.doctor();
    assert.match(checkOf(moved, "kitty_config").message, /no password file at .*\/elsewhere\.pw/);
    await writeFile(join(configDir, "config.yml"), "fcous:\n  font_delta: 2\n");
    const typo = await box.doctor();
    assert.equal(typo.code, 1);
    assert.match(
      checkOf(typo, "config").message,
      /unknown section "fcous" \(did you mean focus\?\)/,
    );
  } finally {
    await box.cleanup();
  }
});

Deno.test("doctor warns about stale sockets (exit 0: warnings only) and names the fix", async () => {
  const box = await machine();
  try {
    const stale = join(box.rt, `sway-ipc.${UID}.4194301.sock`);
    await createStaleSockets([stale]);
    const result = await box.doctor();
    assert.equal(result.code, 0, result.stdout);
    const check = checkOf(result, "stale_sockets");
    assert.equal(check.status, "warn");
    assert.match(check.message, new RegExp(`1 stale socket: ${stale}`));
    assert.equal(check.fix, "tether cleanup");
    assert.equal(result.json!.status, "warn");
  } finally {
    await box.cleanup();
  }
});

Deno.test("doctor checks the configured Conbus bridge: unreachable fails, a listening bridge is ok", async () => {
  const box = await machine();
  const bridge = await FakeConbusBridge.start();
  try {
    box.env.TETHER_CONBUS_HOST = "127.0.0.1";
    box.env.TETHER_CONBUS_PORT = String(bridge.port);
    const ok = await box.doctor();
    assert.equal(checkOf(ok, "conbus").status, "ok", checkOf(ok, "conbus").message);
    assert.match(
      checkOf(ok, "conbus").message,
      new RegExp(`127\\.0\\.0\\.1:${bridge.port} accepts`),
    );
    await bridge.close();
    const down = await box.doctor();
    assert.equal(down.code, 1);
    assert.match(checkOf(down, "conbus").message, /is not reachable: ECONNREFUSED/);
    box.env.TETHER_CONBUS_PORT = "70000";
    const bad = await box.doctor();
    assert.match(checkOf(bad, "conbus").message, /TETHER_CONBUS_PORT must be a port number/);
  } finally {
    await bridge.close().catch(() => {});
    await box.cleanup();
  }
});

Deno.test("doctor with systemctl: units not installed, installed but not enabled, enabled without a user manager", async () => {
  const box = await machine({ systemctl: true });
  try {
    const none = await box.doctor();
    assert.equal(checkOf(none, "systemd").status, "warn");
    assert.equal(
      checkOf(none, "systemd").fix,
      "tether systemd install, then the systemctl commands it prints",
    );
    const install = await runInProcess(["systemd", "install", "--bin", "/bin/true"], {
      env: box.env,
    });
    assert.equal(install.code, 0, install.stderr);
    const installed = await box.doctor();
    const focus = checkOf(installed, "systemd tether-focus.service");
    assert.equal(focus.status, "warn");
    assert.match(focus.message, /not enabled/);
    assert.equal(focus.fix, "systemctl --user enable --now tether-focus.service");
    // Enabled as systemctl would (a link in graphical-session.target.wants), but this test has
    // no user manager to ask whether it runs.
    const unitDir = join(box.home, ".config/systemd/user");
    await mkdir(join(unitDir, "graphical-session.target.wants"));
    await symlink(
      join(unitDir, "tether-focus.service"),
      join(unitDir, "graphical-session.target.wants/tether-focus.service"),
    );
    const enabled = await box.doctor();
    const state = checkOf(enabled, "systemd tether-focus.service");
    assert.equal(state.status, "warn");
    assert.match(state.message, /enabled; state unknown: /);
  } finally {
    await box.cleanup();
  }
});

Deno.test("doctor: a bad --timeout is a usage error, exit 2, one line", async () => {
  const result = await runInProcess(["doctor", "--timeout", "forever"]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /^tether: --timeout must be a duration like 500ms, 2s/);
  assert.equal(result.stderr.split("\n").length, 2);
});

Deno.test("doctor's summary line counts one warning in the singular", () => {
  const check = (status: CheckResult["status"]) => ({
    check: status,
    status,
    message: "m",
    fix: status === "ok" || status === "skip" ? null : "f",
  });
  const text = renderChecks([check("warn"), check("ok"), check("ok")] as CheckResult[], false);
  assert.match(text, /\n0 failed, 1 warning, 2 ok, 0 skipped\n$/);
});
