import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../src/platform/config_error.ts";
import {
  GENERATED_MARKER,
  isUnchangedGenerated,
  planInstall,
  quoteExecPath,
  renderUnits,
} from "../../src/platform/systemd_units.ts";
import { tempDir } from "../support/temp_dir.ts";

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

Deno.test("cleanup timer fires 1 min after the user manager starts, then every 5 min (±10 s)", () => {
  const timer = units()["tether-cleanup.timer"]!;
  assert.match(timer, /^OnStartupSec=1min$/m);
  assert.doesNotMatch(timer, /OnBootSec/);
  assert.match(timer, /^OnUnitActiveSec=5min$/m);
  assert.match(timer, /^AccuracySec=10s$/m);
  assert.match(timer, /^WantedBy=timers.target$/m);
});

Deno.test("focus service restarts on failure and belongs to the graphical session", () => {
  const focus = units()["tether-focus.service"]!;
  assert.match(
    focus,
    /^ExecStart=\/usr\/local\/bin\/tether focus --compositor auto --app-id kitty --font-delta 3$/m,
  );
  assert.match(focus, /^Restart=on-failure$/m);
  assert.match(focus, /^PartOf=graphical-session.target$/m);
  assert.match(focus, /^After=graphical-session.target$/m);
  assert.match(focus, /^WantedBy=graphical-session.target$/m);
});

Deno.test("focus settings and the cleanup interval reach the units", () => {
  const rendered = Object.fromEntries(
    renderUnits("/opt/tether", {
      compositor: "sway",
      appIds: ["my kitty", "kitty-dropdown"],
      fontDeltaPt: 2.5,
      cleanupInterval: "90s",
    }).map((unit) => [unit.name, unit.content]),
  );
  assert.match(
    rendered["tether-focus.service"]!,
    /^ExecStart=\/opt\/tether focus --compositor sway --app-id "my kitty" --app-id kitty-dropdown --font-delta 2.5$/m,
  );
  assert.match(rendered["tether-cleanup.timer"]!, /^OnUnitActiveSec=90s$/m);
  for (
    const [settings, flag] of [
      [{ compositor: "hyprland" }, "--compositor"],
      [{ appIds: [" "] }, "--app-id"],
      [{ appIds: ["kitty", ""] }, "--app-id"],
      [{ appIds: [] }, "--app-id"],
      [{ fontDeltaPt: 0 }, "--font-delta"],
      [{ cleanupInterval: "5 minutes" }, "--cleanup-interval"],
    ] as const
  ) {
    assert.throws(
      () =>
        renderUnits(
          "/opt/tether",
          {
            compositor: "auto",
            appIds: ["kitty"],
            fontDeltaPt: 3,
            cleanupInterval: "5min",
            ...settings,
          } as Parameters<typeof renderUnits>[1],
        ),
      (error: Error) => error instanceof ConfigError && error.message.startsWith(flag),
    );
  }
});

Deno.test("the session target binds graphical-session.target and is ordered before it", () => {
  const target = units()["tether-session.target"]!;
  assert.match(target, /^BindsTo=graphical-session.target$/m);
  assert.match(target, /^Before=graphical-session.target$/m);
  assert.match(target, /^Wants=graphical-session-pre.target$/m);
  assert.match(target, /^After=graphical-session-pre.target$/m);
});

Deno.test("every unit carries the checksum of its body; any edit breaks it", () => {
  for (const unit of renderUnits("/usr/bin/tether")) {
    assert.ok(unit.content.startsWith(GENERATED_MARKER + " (checksum "), unit.name);
    assert.ok(isUnchangedGenerated(unit.content), unit.name);
    const edited = unit.content.replace("Description=", "Description=my ");
    assert.equal(isUnchangedGenerated(edited), false, unit.name);
    assert.equal(isUnchangedGenerated(unit.content + "\n# note\n"), false, unit.name);
  }
  assert.equal(isUnchangedGenerated("[Service]\nExecStart=/my/own\n"), false);
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

Deno.test("install plan: create, unchanged, replace an unedited unit, conflict without --force", () => {
  const rendered = renderUnits("/usr/bin/tether");
  const existing = new Map<string, string | null>([
    ["tether-cleanup.service", null],
    ["tether-cleanup.timer", rendered[1]!.content],
    ["tether-focus.service", "[Service]\nExecStart=/my/own\n"],
    ["tether-session.target", renderUnits("/old/tether")[3]!.content],
  ]);
  assert.deepEqual(planInstall(rendered, existing, false).map((step) => step.action), [
    "create",
    "unchanged",
    "conflict",
    "unchanged",
  ]);
  existing.set(
    "tether-cleanup.timer",
    renderUnits("/usr/bin/tether", {
      compositor: "auto",
      appIds: ["kitty"],
      fontDeltaPt: 3,
      cleanupInterval: "10min",
    })[1]!.content,
  );
  assert.deepEqual(planInstall(rendered, existing, true).map((step) => step.action), [
    "create",
    "replace",
    "replace",
    "unchanged",
  ]);
  assert.equal(planInstall(rendered, existing, false)[1]!.action, "replace");
});

Deno.test("systemd-analyze verify accepts the generated units", async () => {
  await using temp = await tempDir("tether-units-");
  const dir = temp.path;
  await using runtimeDir = await tempDir("tether-units-rt-");
  const runtime = runtimeDir.path;
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
});

Deno.test("systemd-analyze verify rejects a broken unit (the check is real)", async () => {
  await using temp = await tempDir("tether-units-");
  const dir = temp.path;
  await using runtimeDir = await tempDir("tether-units-rt-");
  const runtime = runtimeDir.path;
  const [unit] = renderUnits("/nonexistent/tether");
  writeFileSync(join(dir, unit!.name), unit!.content);
  const out = await new Deno.Command("systemd-analyze", {
    args: ["--user", "verify", "--man=no", join(dir, unit!.name)],
    env: { XDG_RUNTIME_DIR: runtime },
  }).output();
  assert.notEqual(out.code, 0);
});
