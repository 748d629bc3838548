/**
 * Quick figure for the README: one set-font-size (±1, alternating) on a real password-mode kitty
 * under Xvfb, over tether's registry vs a `kitty @ --to unix:… set-font-size` subprocess.
 * Usage: deno run -A scripts/bench/kitty_rc.ts [registryRuns=50] [subprocessRuns=10]
 */
import { TETHER_KITTY_COMMANDS } from "../../src/kitty/setup.ts";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KittyRegistry } from "../../src/kitty/registry.ts";
import { startKitty } from "../../tests/support/kitty.ts";
import { startXvfb } from "../../tests/support/xvfb.ts";

/** One `set-font-size` on kitty's active OS window (no `ls`, no reset): the old per-kitty command. */
const ACTIVE = { allowReset: false };

const registryRuns = Number(Deno.args[0] ?? 50);
const subprocessRuns = Number(Deno.args[1] ?? 10);
const password = "bench-" + crypto.randomUUID().replaceAll("-", "");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const dir = mkdtempSync(join(tmpdir(), "kitty-rc-bench-"));
const passwordFile = join(dir, "rc.password");
writeFileSync(passwordFile, password + "\n", { mode: 0o600 });
const x = await startXvfb();
const kitty = await startKitty(x, {
  remoteControl: { mode: "password", password, commands: [...TETHER_KITTY_COMMANDS] },
});
const registry = new KittyRegistry({
  env: { XDG_RUNTIME_DIR: kitty.runtimeDir, HOME: dir },
  passwordFile,
});
try {
  const first = await registry.changeOsWindowFontSize(kitty.pid, null, 1, ACTIVE); // includes the first-contact check
  await registry.changeOsWindowFontSize(kitty.pid, null, -1, ACTIVE);
  const viaRegistry: number[] = [];
  for (let i = 0; i < registryRuns; i++) {
    const result = await registry.changeOsWindowFontSize(
      kitty.pid,
      null,
      i % 2 === 0 ? 1 : -1,
      ACTIVE,
    );
    if (result.status !== "success") throw new Error(result.error ?? "failed");
    viaRegistry.push(result.latencyMs);
  }
  const publicKey = await kitty.publicKey();
  const viaSubprocess: number[] = [];
  for (let i = 0; i < subprocessRuns; i++) {
    const started = performance.now();
    const run = spawnSync("kitty", [
      "@",
      "--to",
      `unix:${kitty.socketPath}`,
      "--password-env",
      "BENCH_KITTY_PW",
      "set-font-size",
      "--",
      i % 2 === 0 ? "+1" : "-1",
    ], { env: { ...process.env, KITTY_PUBLIC_KEY: publicKey, BENCH_KITTY_PW: password } });
    if (run.status !== 0) throw new Error(`kitty @ failed: ${run.stderr}`);
    viaSubprocess.push(performance.now() - started);
  }
  const registryMedian = median(viaRegistry);
  const subprocessMedian = median(viaSubprocess);
  console.log(`first contact (probe + version check + command): ${first.latencyMs.toFixed(1)} ms`);
  console.log(
    `tether registry, encrypted, n=${registryRuns}: median ${registryMedian.toFixed(1)} ms`,
  );
  console.log(`kitty @ subprocess, n=${subprocessRuns}: median ${subprocessMedian.toFixed(1)} ms`);
  console.log(`ratio: ${(subprocessMedian / registryMedian).toFixed(0)}x`);
} finally {
  await registry.close();
  await kitty.stop();
  await x.stop();
  rmSync(dir, { recursive: true, force: true });
}
