import assert from "node:assert/strict";
import { readRunningKittyVersion } from "../../src/kitty/installed_version.ts";
import { constantsPy, createFakeProc } from "../fakes/proc.ts";

const PID = 4121;
const PACKAGE = "/opt/kitty/lib/kitty/kitty";

Deno.test("readRunningKittyVersion reads constants.py next to the mapped core", async () => {
  const proc = createFakeProc();
  try {
    proc.setProcess({
      pid: PID,
      kitty: { packageDir: PACKAGE, constantsPy: constantsPy([0, 42, 2]) },
    });
    assert.deepEqual(await readRunningKittyVersion(PID, proc.root), {
      version: [0, 42, 2],
      source: `${PACKAGE}/constants.py`,
    });
  } finally {
    proc.cleanup();
  }
});

Deno.test("readRunningKittyVersion: a kitty in a chroot (maps paths carry the root's prefix)", async () => {
  const proc = createFakeProc();
  try {
    // What the process sees at /opt/kitty/lib/kitty/kitty lives at <chroot>/opt/...; the reader's
    // maps name it with the <chroot> prefix, and <pid>/root links to <chroot>.
    const chroot = `${proc.root}/chroot`;
    proc.setProcess({
      pid: PID,
      kitty: { packageDir: PACKAGE, constantsPy: constantsPy([0, 48, 2]) },
    });
    Deno.renameSync(`${proc.root}/${PID}/root`, chroot);
    Deno.symlinkSync(chroot, `${proc.root}/${PID}/root`);
    const maps = Deno.readTextFileSync(`${proc.root}/${PID}/maps`);
    Deno.writeTextFileSync(
      `${proc.root}/${PID}/maps`,
      maps.replaceAll(PACKAGE, `${chroot}${PACKAGE}`),
    );
    assert.deepEqual(await readRunningKittyVersion(PID, proc.root), {
      version: [0, 48, 2],
      source: `${PACKAGE}/constants.py`,
    });
  } finally {
    proc.cleanup();
  }
});

Deno.test("readRunningKittyVersion: unknown, with the reason, whenever it cannot be sure", async () => {
  const cases: [string, (proc: ReturnType<typeof createFakeProc>) => void, RegExp][] = [
    ["no such process", () => {}, /memory map is unreadable/],
    [
      "no kitty core mapped",
      (proc) => proc.setProcess({ pid: PID }),
      /no kitty\/fast_data_types\.so/,
    ],
    [
      "core replaced by an upgrade",
      (proc) =>
        proc.setProcess({
          pid: PID,
          kitty: { packageDir: PACKAGE, constantsPy: constantsPy([0, 43, 0]), deleted: true },
        }),
      /replaced/,
    ],
    [
      "constants.py missing (frozen build)",
      (proc) => proc.setProcess({ pid: PID, kitty: { packageDir: PACKAGE, constantsPy: null } }),
      /constants\.py is unreadable \(ENOENT\)/,
    ],
    [
      "no version line",
      (proc) =>
        proc.setProcess({ pid: PID, kitty: { packageDir: PACKAGE, constantsPy: "x = 1\n" } }),
      /declares no version/,
    ],
  ];
  for (const [what, setUp, reason] of cases) {
    const proc = createFakeProc();
    try {
      setUp(proc);
      const result = await readRunningKittyVersion(PID, proc.root);
      assert.ok("unknownBecause" in result, what);
      assert.match(result.unknownBecause, reason, what);
    } finally {
      proc.cleanup();
    }
  }
});

Deno.test("readRunningKittyVersion: a constants.py newer than the process is not trusted", async () => {
  // Booted an hour ago, started 1 s after boot: the file written now changed after the start.
  const proc = createFakeProc(Math.floor(Date.now() / 1000) - 3600);
  try {
    proc.setProcess({
      pid: PID,
      kitty: { packageDir: PACKAGE, constantsPy: constantsPy([0, 43, 0]) },
    });
    const result = await readRunningKittyVersion(PID, proc.root);
    assert.ok("unknownBecause" in result);
    assert.match(result.unknownBecause, /changed after the process started/);
  } finally {
    proc.cleanup();
  }
});
