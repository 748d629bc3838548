/**
 * nix/package.nix evaluated without nixpkgs (nixpkgs' lib only, a stand-in mkDerivation that
 * returns its arguments; --readonly-mode, nothing is built): it builds with exactly the commands
 * of scripts/build.sh, from exactly the files the program needs, keeps bun's appended program
 * (no strip, no patchelf), and installs what scripts/install.sh installs. Building it needs
 * nixpkgs and is not tested here.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../support/cli.ts";
import { run } from "../support/test_user.ts";

const NIXPKGS_LIB = join(REPO_ROOT, "..", "shared", "nixpkgs-lib", "lib");

interface PackageView {
  pname: string;
  version: string;
  dontStrip: boolean;
  dontPatchELF: boolean;
  buildPhase: string;
  installPhase: string;
  sourceFiles: string[];
  depsBuildPhase: string;
  depsHashMode: string;
}

async function evaluatePackage(): Promise<PackageView> {
  const result = await run([
    "nix-instantiate",
    "--eval",
    "--strict",
    "--json",
    "--readonly-mode",
    join(REPO_ROOT, "tests", "nix", "eval_package.nix"),
    "--arg",
    "lib",
    `import ${NIXPKGS_LIB}`,
  ], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => relative(REPO_ROOT, join(entry.parentPath, entry.name)));
}

Deno.test("nix package: scripts/build.sh's two build commands, verbatim, from the files the program needs", async () => {
  const pkg = await evaluatePackage();
  assert.equal(pkg.pname, "tether");
  assert.equal(pkg.version, JSON.parse(readFileSync(join(REPO_ROOT, "deno.json"), "utf8")).version);
  const buildScript = readFileSync(join(REPO_ROOT, "scripts", "build.sh"), "utf8");
  const commands = [
    buildScript.match(/"\$DENO" (bundle [^;}\n]+)/)![1]!.trim(),
    buildScript.match(/"\$BUN" (build --compile [^>\n]+?) >/)![1]!.trim(),
  ];
  const lines = pkg.buildPhase.split("\n");
  assert.ok(lines.includes(`deno ${commands[0]}`), `${commands[0]} not in\n${pkg.buildPhase}`);
  assert.ok(lines.includes(`bun ${commands[1]}`), `${commands[1]} not in\n${pkg.buildPhase}`);
  assert.deepEqual(
    pkg.sourceFiles.sort(),
    ["deno.json", "deno.lock", "main.ts", "scripts/man.ts", ...filesUnder(join(REPO_ROOT, "src"))]
      .sort(),
  );
  // Only the fixed-output dependency derivation reaches the network.
  assert.equal(pkg.depsHashMode, "recursive");
  assert.match(pkg.depsBuildPhase, /^deno install --frozen --quiet$/m);
});

Deno.test("nix package: no strip or patchelf (they would cut off bun's appended program); install.sh's five files", async () => {
  const pkg = await evaluatePackage();
  assert.equal(pkg.dontStrip, true);
  assert.equal(pkg.dontPatchELF, true);
  for (
    const file of [
      "bin/tether",
      "share/bash-completion/completions/tether",
      "share/zsh/site-functions/_tether",
      "share/fish/vendor_completions.d/tether.fish",
      "share/man/man1/tether.1",
    ]
  ) {
    assert.ok(pkg.installPhase.includes(`"$out/${file}"`), file);
  }
});
