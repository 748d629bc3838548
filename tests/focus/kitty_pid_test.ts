import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveKittyPid } from "../../src/focus/kitty_pid.ts";

/** Writes /proc/<pid>/{comm,stat} fixtures for a chain of processes. */
async function fakeProc(processes: { pid: number; ppid: number; comm: string }[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "tether-proc-"));
  for (const { pid, ppid, comm } of processes) {
    await mkdir(join(root, String(pid)));
    await writeFile(join(root, String(pid), "comm"), comm + "\n");
    await writeFile(join(root, String(pid), "stat"), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0`);
  }
  return root;
}

Deno.test("a kitty PID resolves to itself", async () => {
  const root = await fakeProc([{ pid: 4268, ppid: 900, comm: "kitty" }]);
  try {
    assert.equal(await resolveKittyPid(4268, root), 4268);
  } finally {
    await rm(root, { recursive: true });
  }
});

Deno.test("a child process resolves to the kitty ancestor", async () => {
  const root = await fakeProc([
    { pid: 900, ppid: 1, comm: "sway" },
    { pid: 4268, ppid: 900, comm: "kitty" },
    { pid: 4300, ppid: 4268, comm: "bash" },
    { pid: 4400, ppid: 4300, comm: "nvim (editor)" },
  ]);
  try {
    assert.equal(await resolveKittyPid(4400, root), 4268);
  } finally {
    await rm(root, { recursive: true });
  }
});

Deno.test("without a kitty ancestor the reported PID is kept", async () => {
  const root = await fakeProc([
    { pid: 900, ppid: 1, comm: "sway" },
    { pid: 4268, ppid: 900, comm: "kitty-renamed" },
  ]);
  try {
    assert.equal(await resolveKittyPid(4268, root), 4268);
    assert.equal(await resolveKittyPid(12345, root), 12345, "a vanished process");
  } finally {
    await rm(root, { recursive: true });
  }
});
