import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import process from "node:process";
import { waitFor } from "./wait.ts";

const run = promisify(execFile);

/** An interactive program running in its own tmux server (a real pseudo-terminal). */
export interface TmuxSession {
  /** Types text; `keys` are tmux key names (`Tab`, `Enter`, `C-c`). */
  type(text: string, ...keys: string[]): Promise<void>;
  /** The visible screen, lines joined with "\n" (trailing blanks trimmed). */
  screen(): Promise<string>;
  /** Waits until the screen matches, else throws with the screen in the message. */
  waitForScreen(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Kills the tmux server and waits until the program in it has exited (by PID). */
  stop(): Promise<void>;
}

/**
 * Starts `argv` in a detached tmux session of `columns`×`rows` on a private tmux server
 * (`-L`, so other tests' sessions are never touched), with exactly `env`.
 *
 * @example
 * ```ts
 * const tmux = await startTmux(["bash", "--norc", "-i"], { HOME: dir, PATH: path });
 * try { await tmux.type("echo hi", "Enter"); await tmux.waitForScreen(/^hi$/m); } finally { await tmux.stop(); }
 * ```
 */
export async function startTmux(
  argv: string[],
  env: Record<string, string>,
  { columns = 120, rows = 40 }: { columns?: number; rows?: number } = {},
): Promise<TmuxSession> {
  const server = `tether-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const tmux = (...args: string[]) =>
    run("tmux", ["-L", server, "-f", "/dev/null", ...args], { env: { ...env, TERM: "xterm" } });
  await tmux(
    "new-session",
    "-d",
    "-x",
    String(columns),
    "-y",
    String(rows),
    "env",
    "-i",
    ...Object.entries({ TERM: "xterm", ...env }).map(([key, value]) => `${key}=${value}`),
    ...argv,
  );
  const screen = async () => {
    const { stdout } = await tmux("capture-pane", "-p");
    return stdout.split("\n").map((line) => line.trimEnd()).join("\n").trimEnd();
  };
  return {
    async type(text, ...keys) {
      if (text !== "") await tmux("send-keys", "-l", text);
      for (const key of keys) await tmux("send-keys", key);
    },
    screen,
    async waitForScreen(pattern, timeoutMs = 10_000) {
      let last = "";
      try {
        return await waitFor(`screen matching ${pattern}`, async () => {
          last = await screen();
          return pattern.test(last) ? last : undefined;
        }, timeoutMs);
      } catch (error) {
        throw new Error(`${(error as Error).message}; screen:\n${last}`);
      }
    },
    async stop() {
      // The shell may still be writing into its home (history, caches) after kill-server
      // returns: wait for the pane's process to be gone before the caller removes that home.
      const panes = await tmux("list-panes", "-a", "-F", "#{pane_pid}")
        .then(({ stdout }) => stdout.split("\n").filter(Boolean).map(Number))
        .catch(() => [] as number[]);
      await tmux("kill-server").catch(() => {});
      for (const pid of panes) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
        await waitFor(`tmux pane process ${pid} to exit`, () => pidGone(pid) ? true : undefined);
      }
    },
  };
}

/** Whether `pid` has exited (gone, or a zombie waiting to be reaped). */
function pidGone(pid: number): boolean {
  try {
    return /^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}
