import { spawn } from "node:child_process";

/**
 * Makes stale unix sockets the real way: a child process listens on every path, then is
 * killed with SIGKILL, so the files stay behind with nobody listening (connect ->
 * ECONNREFUSED). With `user`, the child runs as that user via `runuser` (the files are then
 * owned by it). Returns once the child is dead.
 */
export async function createStaleSockets(
  paths: readonly string[],
  options: { user?: string } = {},
): Promise<void> {
  if (paths.length === 0) return;
  const script = `
    const paths = JSON.parse(Deno.env.get("STALE_PATHS"));
    for (const path of paths) Deno.listen({ transport: "unix", path });
    console.log("ready");
    setInterval(() => {}, 1 << 30);
  `;
  const denoArgs = ["eval", "--quiet", script];
  const env = { ...process.env, STALE_PATHS: JSON.stringify(paths), NO_COLOR: "1" };
  const [command, args] = options.user
    ? [
      "runuser",
      [
        "-u",
        options.user,
        "--",
        "env",
        `STALE_PATHS=${env.STALE_PATHS}`,
        "DENO_DIR=/tmp/tether-deno-" + options.user,
        process.execPath,
        ...denoArgs,
      ],
    ]
    : [process.execPath, denoArgs];
  const child = spawn(command, args as string[], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        if (String(chunk).includes("ready")) resolve();
      });
      child.on("exit", (code) => reject(new Error(`socket holder exited ${code}: ${stderr}`)));
    });
  } finally {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    if (child.exitCode === null) {
      // With runuser the listener is a grandchild: kill the whole tree by PID.
      killTree(child.pid!);
      await exited;
    }
  }
}

function killTree(pid: number): void {
  for (const child of childrenOf(pid)) killTree(child);
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function childrenOf(pid: number): number[] {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`);
    return text.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
