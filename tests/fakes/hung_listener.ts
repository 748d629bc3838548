import { spawn } from "node:child_process";

/** A process listening on unix sockets that never accepts (a SIGSTOPped compositor's state). */
export interface HungListeners {
  /** Its PID. */
  pid: number;
  /** Kills it (by PID) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts a process that binds and listens on each path exactly as spelled (relative paths from
 * `cwd`) and never calls accept(); with `newNetworkNamespace` it runs under `unshare -n`, so its
 * sockets appear only in that namespace's /proc/net/unix. Returns once it listens.
 */
export async function startHungListeners(
  paths: readonly string[],
  options: { cwd?: string; newNetworkNamespace?: boolean } = {},
): Promise<HungListeners> {
  const script = `
    for (const path of JSON.parse(Deno.env.get("HUNG_PATHS"))) {
      Deno.listen({ transport: "unix", path });
    }
    console.log("ready");
    setInterval(() => {}, 1 << 30);
  `;
  const denoArgv = [process.execPath, "eval", "--quiet", script];
  const argv = options.newNetworkNamespace ? ["unshare", "-n", "--", ...denoArgv] : denoArgv;
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, HUNG_PATHS: JSON.stringify(paths), NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("hung listener: no ready in 10 s")), 10_000);
      child.stdout!.on("data", (chunk) => {
        if (String(chunk).includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`hung listener exited ${code}: ${stderr}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: child.pid!, stop };
}
