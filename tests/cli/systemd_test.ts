import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInProcess } from "../support/cli.ts";

function configHome(): string {
  return mkdtempSync(join(tmpdir(), "tether-config-"));
}

const unitPath = (home: string, name: string) => join(home, "systemd", "user", name);

Deno.test("systemd install writes three units with the given binary and prints the commands", async () => {
  const home = configHome();
  try {
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
      /ExecStart=\/bin\/true focus/,
    );
    assert.match(result.stdout, /systemctl --user daemon-reload/);
    assert.match(result.stdout, /systemctl --user enable --now tether-cleanup.timer/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

Deno.test("systemd install --dry-run writes nothing", async () => {
  const home = configHome();
  try {
    const result = await runInProcess(["systemd", "install", "--dry-run", "--bin", "/bin/true"], {
      env: { XDG_CONFIG_HOME: home },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /OnUnitActiveSec=5min/);
    assert.equal(existsSync(join(home, "systemd")), false);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

Deno.test("a changed unit is not overwritten without --force (exit 1), and is with it", async () => {
  const home = configHome();
  const env = { XDG_CONFIG_HOME: home };
  try {
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
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

Deno.test("--json reports each unit's action", async () => {
  const home = configHome();
  try {
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
    ]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
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

Deno.test("uninstall removes tether's units and keeps hand-changed ones without --force", async () => {
  const home = configHome();
  const env = { XDG_CONFIG_HOME: home };
  try {
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
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
