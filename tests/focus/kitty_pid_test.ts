import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { resolveKittyPid } from "../../src/focus/kitty_pid.ts";
import { type TempDir, tempDir } from "../support/temp_dir.ts";

/** Writes /proc/<pid>/{comm,stat} fixtures for a chain of processes; removed on disposal. */
async function fakeProc(
  processes: { pid: number; ppid: number; comm: string }[],
): Promise<TempDir> {
  const dir = await tempDir("tether-proc-");
  const root = dir.path;
  for (const { pid, ppid, comm } of processes) {
    await mkdir(join(root, String(pid)));
    await writeFile(join(root, String(pid), "comm"), comm + "\n");
    await writeFile(join(root, String(pid), "stat"), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0`);
  }
  return dir;
}

Deno.test("a kitty PID resolves to itself", async () => {
  await using proc = await fakeProc([{ pid: 4268, ppid: 900, comm: "kitty" }]);
  const root = proc.path;
  assert.equal(await resolveKittyPid(4268, root), 4268);
});

Deno.test("a child process resolves to the kitty ancestor", async () => {
  await using proc = await fakeProc([
    { pid: 900, ppid: 1, comm: "sway" },
    { pid: 4268, ppid: 900, comm: "kitty" },
    { pid: 4300, ppid: 4268, comm: "bash" },
    { pid: 4400, ppid: 4300, comm: "nvim (editor)" },
  ]);
  const root = proc.path;
  assert.equal(await resolveKittyPid(4400, root), 4268);
});

Deno.test("without a kitty ancestor the reported PID is kept", async () => {
  await using proc = await fakeProc([
    { pid: 900, ppid: 1, comm: "sway" },
    { pid: 4268, ppid: 900, comm: "kitty-renamed" },
  ]);
  const root = proc.path;
  assert.equal(await resolveKittyPid(4268, root), 4268);
  assert.equal(await resolveKittyPid(12345, root), 12345, "a vanished process");
});
