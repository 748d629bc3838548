import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runCli } from "../../src/cli/run.ts";
import type { Environment } from "../../src/platform/paths.ts";

/** What one CLI invocation printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Repository root (tests run from anywhere). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Runs the CLI in-process with captured streams. Fast; use for argument handling and output
 * formats. `signal` plays the role of SIGINT/SIGTERM for daemons.
 */
export async function runInProcess(
  args: string[],
  options: {
    env?: Environment;
    signal?: AbortSignal;
    tty?: boolean;
    /** Sees stdout as it is written (a long-running command waited on by its output). */
    onStdout?: (text: string) => void;
    /** Sees stderr as it is written. */
    onStderr?: (text: string) => void;
  } = {},
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    env: options.env ?? { ...process.env },
    stdout: (text) => {
      stdout += text;
      options.onStdout?.(text);
    },
    stderr: (text) => {
      stderr += text;
      options.onStderr?.(text);
    },
    stdoutIsTty: options.tty ?? false,
    shutdownSignal: options.signal ?? new AbortController().signal,
  });
  return { code, stdout, stderr };
}

/**
 * The command that runs tether as a separate process: the compiled binary from `TETHER_BIN`
 * (set by scripts/test.sh), else `deno run -A main.ts` with the current deno.
 */
export function tetherCommand(): string[] {
  const binary = process.env.TETHER_BIN;
  if (binary) return [binary];
  return [process.execPath, "run", "--allow-all", "--no-check", REPO_ROOT + "main.ts"];
}

/** Runs tether as a child process to completion (e2e), with an optional stdin text and timeout. */
export function runProcess(
  args: string[],
  options: { env?: Environment; stdin?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const [command, ...prefix] = tetherCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(command!, [...prefix, ...args], {
      env: (options.env ?? process.env) as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(options.stdin ?? "");
  });
}
