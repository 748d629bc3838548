/**
 * The home-manager module (nix/home-manager.nix) evaluated for real with nix-instantiate
 * against nixpkgs' library (../shared/nixpkgs-lib/lib next to the clone) and a stand-in for
 * home-manager's systemd.user options: its units, rendered as home-manager renders them, say
 * exactly what `tether systemd install` writes (comments aside; key order is home-manager's).
 * Every .nix file parses. Building the package needs nixpkgs and is not tested here.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_UNIT_SETTINGS,
  renderUnits,
  type UnitSettings,
} from "../../src/platform/systemd_units.ts";
import { REPO_ROOT } from "../support/cli.ts";
import { run } from "../support/test_user.ts";

const NIXPKGS_LIB = join(REPO_ROOT, "..", "shared", "nixpkgs-lib", "lib");
const EVAL = join(REPO_ROOT, "tests", "nix", "eval_home_manager.nix");
const PACKAGE = "/nix/store/00000000000000000000000000000000-tether-0.1.0";

async function evaluate(
  config: unknown,
): Promise<{ code: number; units: Record<string, string>; stderr: string }> {
  assert.ok(
    existsSync(join(NIXPKGS_LIB, "default.nix")),
    `nixpkgs' lib not found at ${NIXPKGS_LIB}`,
  );
  const result = await run([
    "nix-instantiate",
    "--eval",
    "--strict",
    "--json",
    EVAL,
    "--arg",
    "lib",
    `import ${NIXPKGS_LIB}`,
    "--argstr",
    "settings",
    JSON.stringify({ services: { tether: config } }),
  ], { timeoutMs: 60_000 });
  return {
    code: result.code,
    units: result.code === 0 ? JSON.parse(result.stdout) : {},
    stderr: result.stderr,
  };
}

/** A unit file as {section: sorted "key=value" lines}: comments and blank lines dropped. */
function parseUnit(text: string): Record<string, string[]> {
  const sections: Record<string, string[]> = {};
  let current: string[] | null = null;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const header = line.match(/^\[(.+)\]$/);
    if (header) current = sections[header[1]!] = [];
    else if (current) current.push(line);
    else throw new Error(`line outside a section: ${line}`);
  }
  for (const lines of Object.values(sections)) lines.sort();
  return sections;
}

function tetherUnits(settings?: UnitSettings): Record<string, Record<string, string[]>> {
  return Object.fromEntries(
    renderUnits(`${PACKAGE}/bin/tether`, settings).map((
      unit,
    ) => [unit.name, parseUnit(unit.content)]),
  );
}

function nixUnits(units: Record<string, string>): Record<string, Record<string, string[]>> {
  return Object.fromEntries(Object.entries(units).map(([name, text]) => [name, parseUnit(text)]));
}

const pkg = { type: "derivation", name: "tether-0.1.0", outPath: PACKAGE };

Deno.test("nix-instantiate --parse accepts every .nix file", async () => {
  const files = [
    "flake.nix",
    ...readdirSync(join(REPO_ROOT, "nix")).map((name) => `nix/${name}`),
    ...readdirSync(join(REPO_ROOT, "tests", "nix")).filter((name) => name.endsWith(".nix")).map((
      name,
    ) => `tests/nix/${name}`),
  ]
    .filter((name) => name.endsWith(".nix"));
  assert.ok(files.length >= 5, files.join(" "));
  for (const file of files) {
    const result = await run(["nix-instantiate", "--parse", join(REPO_ROOT, file)]);
    assert.equal(result.code, 0, `${file}: ${result.stderr}`);
  }
});

Deno.test("home-manager module, defaults: the four units tether systemd install writes", async () => {
  const result = await evaluate({
    package: pkg,
    focus: { enable: true },
    cleanup: { enable: true },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(nixUnits(result.units), tetherUnits());
});

Deno.test("home-manager module, every setting: the same units as install with the same flags", async () => {
  const result = await evaluate({
    package: pkg,
    focus: { enable: true, compositor: "i3", fontDelta: 5, appIds: ["my kitty"] },
    cleanup: { enable: true, interval: "10min" },
  });
  assert.equal(result.code, 0, result.stderr);
  const expected = tetherUnits({
    compositor: "i3",
    appIds: ["my kitty"],
    fontDeltaPt: 5,
    cleanupInterval: "10min",
  });
  assert.deepEqual(nixUnits(result.units), expected);
  assert.match(result.units["tether-focus.service"]!, /--app-id "my kitty" --font-delta 5\n/);
});

Deno.test("home-manager module, two appIds: one --app-id each, as install --app-id twice writes", async () => {
  const result = await evaluate({
    package: pkg,
    focus: { enable: true, appIds: ["kitty", "kitty dropdown"] },
  });
  assert.equal(result.code, 0, result.stderr);
  const expected = tetherUnits({ ...DEFAULT_UNIT_SETTINGS, appIds: ["kitty", "kitty dropdown"] });
  assert.deepEqual(
    nixUnits(result.units)["tether-focus.service"],
    expected["tether-focus.service"],
  );
  assert.match(
    result.units["tether-focus.service"]!,
    /--compositor auto --app-id kitty --app-id "kitty dropdown" --font-delta 3\n/,
  );
});

Deno.test("home-manager module: extraArgs are appended; only the enabled parts produce units", async () => {
  const focus = await evaluate({
    package: pkg,
    focus: { enable: true, extraArgs: ["--socket-timeout", "3"] },
  });
  assert.equal(focus.code, 0, focus.stderr);
  assert.deepEqual(Object.keys(focus.units).sort(), [
    "tether-focus.service",
    "tether-session.target",
  ]);
  assert.match(
    focus.units["tether-focus.service"]!,
    /^ExecStart=\S+\/bin\/tether focus --compositor auto --app-id kitty --font-delta 3 --socket-timeout 3$/m,
  );
  const cleanup = await evaluate({ package: pkg, cleanup: { enable: true } });
  assert.deepEqual(Object.keys(cleanup.units).sort(), [
    "tether-cleanup.service",
    "tether-cleanup.timer",
  ]);
  const none = await evaluate({ package: pkg });
  assert.deepEqual(none.units, {});
});

Deno.test("home-manager module: bad settings fail the evaluation with the option's name", async () => {
  for (
    const [config, message] of [
      [{ focus: { enable: true, appIds: [] } }, /services\.tether\.focus\.appIds/],
      [{ focus: { enable: true, appIds: ["kitty", " "] } }, /services\.tether\.focus\.appIds/],
      [{ cleanup: { enable: true, interval: "often" } }, /services\.tether\.cleanup\.interval/],
      [{ focus: { enable: true, compositor: "hyprland" } }, /services\.tether\.focus\.compositor/],
    ] as const
  ) {
    const result = await evaluate({ package: pkg, ...config });
    assert.notEqual(result.code, 0, JSON.stringify(config));
    assert.match(result.stderr, message);
  }
});
