/**
 * `tether doctor` against real peers (run under `flock /tmp/tether-realpeers.lock`): headless
 * sway 1.7 as the test user — answering, SIGSTOPped, SIGKILLed — and real kitty 0.26.5 under
 * Xvfb, one without remote control and one set up by `tether kitty setup`. Every process is
 * stopped by PID in finally blocks.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInProcess } from "../support/cli.ts";
import { startKitty } from "../support/kitty.ts";
import { startSway } from "../support/sway.ts";
import { runTetherAsUser } from "../support/tether_as_user.ts";
import { startXvfb } from "../support/xvfb.ts";

interface DoctorJson {
  status: string;
  checks: { check: string; status: string; message: string; fix: string | null }[];
}

function checks(stdout: string, name: string) {
  const parsed = JSON.parse(stdout) as DoctorJson;
  return parsed.checks.filter((check) => check.check === name);
}

Deno.test({
  name:
    "doctor against real sway: answering is ok; SIGSTOPped fails (hung); SIGKILLed fails, its socket stale",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const sway = await startSway();
    try {
      const doctor = () =>
        runTetherAsUser(["--json", "doctor", "--timeout", "500ms"], {
          ...sway.sessionEnv,
          HOME: sway.runtimeDir,
          XDG_CONFIG_HOME: join(sway.runtimeDir, "config"),
          PATH: "/nonexistent",
        });
      const up = await doctor();
      const [ok] = checks(up.stdout, "compositor");
      assert.equal(ok!.status, "ok", up.stdout + up.stderr);
      assert.match(ok!.message, new RegExp(`answers at ${sway.socketPath}`));

      sway.hang();
      const hung = await doctor();
      assert.equal(hung.code, 1);
      const [stopped] = checks(hung.stdout, "compositor");
      assert.equal(stopped!.status, "fail");
      assert.match(stopped!.message, /does not answer/);
      assert.match(stopped!.fix!, new RegExp(`pid ${sway.pid}\\) is hung or stopped`));
      sway.resume();

      await sway.crash();
      const gone = await doctor();
      assert.equal(gone.code, 1);
      const [dead] = checks(gone.stdout, "compositor");
      assert.equal(dead!.status, "fail");
      assert.match(
        dead!.message,
        new RegExp(`no compositor answers: ${sway.socketPath} \\(\\$SWAYSOCK, \\$I3SOCK\\)$`),
      );
      const [stale] = checks(gone.stdout, "stale_sockets");
      assert.equal(stale!.status, "warn");
      assert.match(stale!.message, new RegExp(sway.socketPath));
    } finally {
      await sway.stop();
    }
  },
});

Deno.test({
  name:
    "doctor against real kitty: one without remote control fails, one set up by tether kitty setup is ok (password mode, 0.26.5, not pooled)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = mkdtempSync(join(tmpdir(), "tether-doctor-kitty-"));
    const rt = join(root, "run");
    await mkdir(join(rt, "kitty"), { recursive: true, mode: 0o700 });
    await chmod(rt, 0o700);
    const env = {
      HOME: join(root, "home"),
      XDG_CONFIG_HOME: join(root, "home/.config"),
      XDG_RUNTIME_DIR: rt,
      PATH: "/nonexistent",
    };
    const x = await startXvfb();
    const kitties: { stop(): Promise<void> }[] = [];
    try {
      const setup = await runInProcess(["--json", "kitty", "setup"], { env });
      assert.equal(setup.code, 0, setup.stderr);
      const report = JSON.parse(setup.stdout);
      writeFileSync(report.kitty_conf, `font_size 11\n${report.include_line}\n`);
      const password = readFileSync(report.password_file, "utf8").trim();
      const ready = await startKitty(x, {
        configFile: report.kitty_conf,
        runtimeDir: rt,
        remoteControl: { mode: "password", password },
        env: { KITTY_CONFIG_DIRECTORY: join(env.XDG_CONFIG_HOME, "kitty") },
      });
      kitties.push(ready);
      const bare = await startKitty(x, { runtimeDir: rt, remoteControl: { mode: "none" } });
      kitties.push(bare);

      const result = await runInProcess(["--json", "doctor", "--timeout", "2s"], { env });
      assert.ok(!result.stdout.includes(password) && !result.stderr.includes(password));
      const lines = checks(result.stdout, "kitty");
      const good = lines.find((check) => check.message.startsWith(`kitty ${ready.pid}:`));
      const broken = lines.find((check) => check.message.startsWith(`kitty ${bare.pid}:`));
      assert.ok(good && broken, result.stdout);
      assert.equal(good.status, "ok", good.message);
      assert.match(
        good.message,
        /remote control reachable \(password mode, [\d.]+ ms\), kitty 0\.26\.5, not pooled/,
      );
      assert.equal(broken.status, "fail");
      assert.match(broken.message, /no remote-control socket \(kitty 0\.26\.5\)/);
      assert.match(broken.fix!, /include tether\.conf/);
      assert.equal(checks(result.stdout, "kitty_config")[0]!.status, "ok");
      assert.equal(result.code, 1, "one kitty failed");
    } finally {
      for (const kitty of kitties) await kitty.stop();
      await x.stop();
      rmSync(root, { recursive: true, force: true });
    }
  },
});
