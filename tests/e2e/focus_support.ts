/**
 * Runs `tether focus` as a separate process for e2e tests and collects its JSON lines.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { REPO_ROOT, tetherCommand } from "../support/cli.ts";
import { asUserArgv } from "../support/test_user.ts";
import { waitFor } from "../support/wait.ts";

/** One JSON line printed by the tracker. */
export type TrackerLine = Record<string, unknown>;

/** A running tracker process. */
export interface TrackerProcess {
  /** PID of tether itself (not of a runuser wrapper). */
  pid: number;
  /** Every JSON line so far. */
  lines: TrackerLine[];
  /** Everything on stdout and stderr so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the first line (from index `from`) matching `match`. */
  waitForLine(
    match: (line: TrackerLine) => boolean,
    options?: { from?: number; timeoutMs?: number; what?: string },
  ): Promise<TrackerLine>;
  /** Sends a signal to tether. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code once the process ended. */
  exited(): Promise<number>;
  /** SIGKILL if still running. */
  kill(): Promise<void>;
}

/** The tether binary for e2e runs: `$TETHER_BIN`, else dist/tether (scripts/build.sh). */
export function tetherBinary(): string[] {
  if (process.env.TETHER_BIN) return [process.env.TETHER_BIN];
  const built = `${REPO_ROOT}dist/tether`;
  return existsSync(built) ? [built] : tetherCommand();
}

/**
 * Starts `tether focus ...args`; with `user`, as that user through runuser (the realistic setup:
 * tracker, compositor and kitty share one user). `env` is the complete environment.
 */
export async function startTracker(
  args: string[],
  env: Record<string, string>,
  options: { user?: string } = {},
): Promise<TrackerProcess> {
  const command = [...tetherBinary(), "focus", ...args];
  const argv = options.user ? asUserArgv(options.user, command, env) : command;
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), {
    env: options.user ? { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } : env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let partial = "";
  const lines: TrackerLine[] = [];
  child.stdout!.on("data", (chunk) => {
    stdout += chunk;
    partial += chunk;
    let newline: number;
    while ((newline = partial.indexOf("\n")) >= 0) {
      const text = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      try {
        lines.push(JSON.parse(text));
      } catch {
        lines.push({ unparsable: text });
      }
    }
  });
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exit = new Promise<number>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  );
  let pid = child.pid!;
  if (options.user) {
    // runuser forks tether: signal tether itself.
    pid = await waitFor("tether to start under runuser", () => readChildren(child.pid!)[0], 10_000);
  }
  return {
    pid,
    lines,
    output: () => ({ stdout, stderr }),
    waitForLine(match, waitOptions = {}) {
      const what = waitOptions.what ?? "a line";
      return waitFor(
        () => `${what}; lines: ${stdout}\nstderr: ${stderr}`,
        () => {
          const found = lines.slice(waitOptions.from ?? 0).find(match);
          if (found === undefined && (child.exitCode !== null || child.signalCode !== null)) {
            throw new Error(`tether exited while waiting for ${what}: ${stdout}\n${stderr}`);
          }
          return found;
        },
        waitOptions.timeoutMs ?? 30_000,
        25,
      );
    },
    signal: (signal) => process.kill(pid, signal),
    exited: () => exit,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(pid, "SIGKILL");
      } catch { /* gone */ }
      await exit;
    },
  };
}

function readChildren(pid: number): number[] {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`);
    return text.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
