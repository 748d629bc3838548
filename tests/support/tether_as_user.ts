import { REPO_ROOT } from "./cli.ts";
import { runAsUser, type RunResult, TEST_USER } from "./test_user.ts";

/**
 * Runs tether as `user` (default the test user) with exactly `env`: the compiled binary from
 * `TETHER_BIN` when set (scripts/test.sh), else `deno run main.ts` with a DENO_DIR the user
 * can write. Cleanup only touches the caller's own sockets, so tests against sway (which must
 * run unprivileged) run tether as the same user.
 */
export function runTetherAsUser(
  args: readonly string[],
  env: Record<string, string>,
  user: string = TEST_USER,
): Promise<RunResult> {
  const binary = Deno.env.get("TETHER_BIN");
  const argv = binary ? [binary, ...args] : [
    Deno.execPath(),
    "run",
    "--allow-all",
    "--no-check",
    "--quiet",
    `${REPO_ROOT}main.ts`,
    ...args,
  ];
  const denoEnv: Record<string, string> = binary
    ? {}
    : { DENO_DIR: `/tmp/tether-deno-${user}`, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
  return runAsUser(user, argv, { ...denoEnv, ...env }, { timeoutMs: 60_000 });
}

export type { RunResult };
