import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../src/platform/config_error.ts";
import {
  GENERATED_MARKER,
  planInstall,
  quoteExecPath,
  renderUnits,
} from "../../src/platform/systemd_units.ts";

const units = (bin = "/usr/local/bin/tether") =>
  Object.fromEntries(renderUnits(bin).map((unit) => [unit.name, unit.content]));

Deno.test("cleanup service is a oneshot running `<bin> cleanup`", () => {
  const service = units()["tether-cleanup.service"]!;
  assert.match(service, /^Type=oneshot$/m);
  assert.match(service, /^ExecStart=\/usr\/local\/bin\/tether cleanup$/m);
  assert.ok(service.startsWith(GENERATED_MARKER));
});

Deno.test("cleanup service logs each removal to the journal and discards the stdout report", () => {
  const service = units()["tether-cleanup.service"]!;
  // The default log level (warn) would hide the per-removal info lines under systemd.
  assert.match(service, /^Environment=TETHER_LOG=info$/m);
  assert.match(service, /^StandardOutput=null$/m);
});

Deno.test("cleanup timer fires 1 min after boot, then every 5 min", () => {
  const timer = units()["tether-cleanup.timer"]!;
  assert.match(timer, /^OnBootSec=1min$/m);
  assert.match(timer, /^OnUnitActiveSec=5min$/m);
  assert.match(timer, /^WantedBy=timers.target$/m);
});

Deno.test("focus service restarts on failure and belongs to the graphical session", () => {
  const focus = units()["tether-focus.service"]!;
  assert.match(focus, /^ExecStart=\/usr\/local\/bin\/tether focus$/m);
  assert.match(focus, /^Restart=on-failure$/m);
  assert.match(focus, /^PartOf=graphical-session.target$/m);
  assert.match(focus, /^After=graphical-session.target$/m);
  assert.match(focus, /^WantedBy=graphical-session.target$/m);
});

Deno.test("paths with spaces, quotes or % are quoted for ExecStart", () => {
  assert.equal(quoteExecPath("/opt/my tools/tether"), '"/opt/my tools/tether"');
  assert.equal(quoteExecPath('/opt/a"b/tether'), '"/opt/a\\"b/tether"');
  assert.equal(quoteExecPath("/opt/100%/tether"), "/opt/100%%/tether");
  assert.throws(() => quoteExecPath("/opt/a\nb"), ConfigError);
});

Deno.test("a relative binary path is a usage error", () => {
  assert.throws(() => renderUnits("tether"), ConfigError);
});

Deno.test("install plan: create, unchanged, conflict without --force, replace with it", () => {
  const rendered = renderUnits("/usr/bin/tether");
  const existing = new Map<string, string | null>([
    ["tether-cleanup.service", null],
    ["tether-cleanup.timer", rendered[1]!.content],
    ["tether-focus.service", "[Service]\nExecStart=/my/own\n"],
  ]);
  assert.deepEqual(planInstall(rendered, existing, false).map((step) => step.action), [
    "create",
    "unchanged",
    "conflict",
  ]);
  assert.deepEqual(planInstall(rendered, existing, true).map((step) => step.action), [
    "create",
    "unchanged",
    "replace",
  ]);
});

Deno.test("systemd-analyze verify accepts the generated units", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tether-units-"));
  const runtime = mkdtempSync(join(tmpdir(), "tether-units-rt-"));
  try {
    // ExecStart must name an existing executable for verify: use a real one.
    const files = renderUnits("/bin/true").map((unit) => {
      writeFileSync(join(dir, unit.name), unit.content);
      return join(dir, unit.name);
    });
    // --user needs a runtime dir for its (never started) manager.
    const out = await new Deno.Command("systemd-analyze", {
      args: ["--user", "verify", "--man=no", ...files],
      env: { XDG_RUNTIME_DIR: runtime },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.equal(stderr.trim(), "", "verify printed warnings");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(runtime, { recursive: true, force: true });
  }
});

Deno.test("systemd-analyze verify rejects a broken unit (the check is real)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tether-units-"));
  const runtime = mkdtempSync(join(tmpdir(), "tether-units-rt-"));
  try {
    const [unit] = renderUnits("/nonexistent/tether");
    writeFileSync(join(dir, unit!.name), unit!.content);
    const out = await new Deno.Command("systemd-analyze", {
      args: ["--user", "verify", "--man=no", join(dir, unit!.name)],
      env: { XDG_RUNTIME_DIR: runtime },
    }).output();
    assert.notEqual(out.code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(runtime, { recursive: true, force: true });
  }
});
