import assert from "node:assert/strict";
import { runAsUser, TEST_USER } from "../support/test_user.ts";
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  childPids,
  fileDescriptorHeadroom,
  isProcessAlive,
  readComm,
  readEnviron,
  readParentPid,
  readStartTimeMs,
} from "../../src/platform/proc.ts";
import { tempDir } from "../support/temp_dir.ts";
import { waitFor } from "../support/wait.ts";

Deno.test("a spawned child is seen alive with its comm, parent, start time and environment", async () => {
  const child = spawn("sleep", ["30"], {
    env: { TETHER_PROC_TEST: "marker=1", PATH: "/bin:/usr/bin" },
  });
  try {
    const pid = child.pid!;
    assert.equal(isProcessAlive(pid), true);
    assert.equal(await readComm(pid), "sleep");
    assert.equal(await readParentPid(pid), process.pid);
    assert.ok((await childPids(process.pid)).includes(pid));
    const started = await readStartTimeMs(pid);
    assert.ok(started !== null && Math.abs(started - Date.now()) < 60_000, `start ${started}`);
    const environ = await readEnviron(pid);
    assert.equal(environ?.get("TETHER_PROC_TEST"), "marker=1", "values may contain '='");
  } finally {
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
  }
  assert.equal(isProcessAlive(child.pid!), false);
  assert.equal(await readComm(child.pid!), null);
});

Deno.test("a zombie (exited, not yet reaped) is not alive; its parent is", async () => {
  // The background sleep's parent becomes the exec'd `sleep 600`, which never reaps it.
  const parent = spawn("sh", ["-c", "sleep 600 & exec sleep 601"], { stdio: "ignore" });
  try {
    const zombie = await waitFor(
      "the background sleep",
      async () => (await childPids(parent.pid!))[0],
      5000,
    );
    assert.equal(isProcessAlive(zombie), true);
    process.kill(zombie, "SIGKILL");
    await waitFor(
      "the killed sleep to count as dead (a zombie)",
      () => !isProcessAlive(zombie),
      5000,
    );
    assert.ok((await readComm(zombie)) !== null, "it still has a /proc entry (unreaped)");
    assert.equal(isProcessAlive(parent.pid!), true);
  } finally {
    parent.kill("SIGKILL");
    await new Promise((resolve) => parent.once("exit", resolve));
  }
});

Deno.test("PID 1 is alive even when signalling it is not permitted; nonsense PIDs are not", () => {
  assert.equal(isProcessAlive(1), true);
  assert.equal(isProcessAlive(0), false);
  assert.equal(isProcessAlive(-5), false);
  assert.equal(isProcessAlive(2 ** 31), false);
});

Deno.test("stat parsing survives a comm with spaces and parentheses (fixture procfs)", async () => {
  await using rootDir = await tempDir("tether-proc-");
  const root = rootDir.path;
  await mkdir(join(root, "77", "task", "77"), { recursive: true });
  const fields = ["S", "12", ...Array(17).fill("0"), "500"]; // field 22 (starttime) = 500 ticks
  await writeFile(join(root, "77", "stat"), `77 (we (ird) name) ${fields.join(" ")} 0 0\n`);
  await writeFile(join(root, "stat"), "cpu 1 2 3\nbtime 1700000000\n");
  await writeFile(join(root, "77", "task", "77", "children"), "80 81 ");
  assert.equal(await readParentPid(77, root), 12);
  assert.equal(await readStartTimeMs(77, root), 1_700_000_000_000 + 5_000);
  assert.deepEqual(await childPids(77, root), [80, 81]);
  assert.equal(await readEnviron(77, root), null);
});

Deno.test("another user's live process is alive (EPERM), checked as the unprivileged test user", async () => {
  const module = new URL("../../src/platform/proc.ts", import.meta.url).href;
  const script = `
    import { isProcessAlive } from ${JSON.stringify(module)};
    let permitted = true;
    try { process.kill(1, 0); } catch (error) { permitted = error.code !== "EPERM"; }
    console.log(JSON.stringify({ permitted, alive: isProcessAlive(1) }));
  `;
  const result = await runAsUser(TEST_USER, [process.execPath, "eval", "--quiet", script], {
    DENO_DIR: `/tmp/tether-deno-${TEST_USER}`,
    NO_COLOR: "1",
  });
  assert.equal(result.code, 0, result.stderr);
  const { permitted, alive } = JSON.parse(result.stdout);
  assert.equal(permitted, false, "the test user may not signal PID 1: the EPERM branch runs");
  assert.equal(alive, true);
});

Deno.test("fileDescriptorHeadroom: the soft limit minus what is open; null without /proc", () => {
  const headroom = fileDescriptorHeadroom();
  assert.ok(headroom !== null && headroom > 0 && headroom < 10_000_000, String(headroom));
  assert.equal(fileDescriptorHeadroom("/nonexistent"), null);
});
