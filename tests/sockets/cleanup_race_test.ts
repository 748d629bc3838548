import assert from "node:assert/strict";
import { chmodSync, lstatSync, readdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { runCleanup } from "../../src/sockets/cleanup.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";
import { chosenSeed } from "../support/seeded_random.ts";
import { raceRound } from "../../scripts/bench/cleanup_race.ts";
import { tempDir } from "../support/temp_dir.ts";

const UID = process.getuid!();
const SEED = chosenSeed("TETHER_RACE_SEED");

for (const decoy of ["file", "symlink"] as const) {
  Deno.test(`a ${decoy} renamed over a stale socket after its checks is put back, not removed`, async () => {
    await using rtDir = await tempDir("tether-race-");
    const rt = rtDir.path;
    chmodSync(rt, 0o700);
    const target = join(rt, `sway-ipc.${UID}.9401.sock`);
    const other = join(rt, `sway-ipc.${UID}.9402.sock`);
    await createStaleSockets([target, other]);
    const staged = join(rt, "staged");
    if (decoy === "file") writeFileSync(staged, "decoy\n");
    else symlinkSync("/nonexistent", staged);
    const decoyInode = lstatSync(staged).ino;
    let swapped = false;
    const report = await runCleanup({
      runtimeDir: rt,
      env: {},
      uid: UID,
      dryRun: false,
      // The racer's moment: right after the first connect was refused (the compiled binary
      // would see a regular file refuse too), the decoy takes the socket's place.
      connectProber: (path) => {
        if (path === target && !swapped) {
          swapped = true;
          renameSync(staged, target);
        }
        return Promise.reject(new ConnectionError("refused", "connect ECONNREFUSED"));
      },
    });
    assert.ok(swapped);
    assert.deepEqual(report.removed, [other]);
    assert.deepEqual(report.failed, []);
    assert.match(report.kept.find((kept) => kept.socket_path === target)!.reason, /replaced/);
    assert.equal(lstatSync(target).ino, decoyInode, "the decoy is back at its path");
    assert.deepEqual(readdirSync(rt).sort(), [`sway-ipc.${UID}.9401.sock`], "no quarantine left");
  });
}

Deno.test(`randomized race: 3 rounds x 300 stale sockets, a racer swapping decoys in (seed ${SEED})`, async () => {
  let swaps = 0;
  for (let round = 0; round < 3; round++) {
    const result = await raceRound({
      sockets: 300,
      seed: SEED + round,
      inProcess: true,
      spanMs: 60,
    });
    const context = `seed ${SEED + round}`;
    assert.deepEqual(result.lost, [], `decoys lost; ${context}`);
    assert.equal(result.leftUnraced, 0, `stale sockets nobody raced were left; ${context}`);
    // A quarantine stays only around files cleanup could not put back because the racer had
    // refilled their path meanwhile (link(2) never overwrites), each one reported as failed.
    assert.equal(result.quarantinedFiles, result.reportedStuck, context);
    assert.equal(result.quarantines, result.reportedStuck > 0 ? 1 : 0, context);
    assert.ok(result.removed > 0, context);
    swaps += result.swaps;
  }
  assert.equal(swaps, 3 * 150);
});
