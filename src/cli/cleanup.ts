import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/**
 * `tether cleanup`: removes stale IPC socket files (sway, i3, niri, kitty, tether) from
 * `$XDG_RUNTIME_DIR`, only when every safety check holds. Prints nothing when nothing was
 * removed and nothing failed (`--verbose` lists the kept sockets too). Exit 0 even when nothing was stale,
 * 1 when a removal failed, 2 for usage/config errors (nothing is removed then).
 */
export function cleanupCommand(context: CliContext): Command {
  return new Command("cleanup")
    .description(
      "remove stale IPC sockets (nothing listening) from $XDG_RUNTIME_DIR; live, hung, foreign and odd files are kept",
    )
    .option("--dry-run", "report what would be removed, remove nothing", false)
    .option("--timeout <duration>", "connect deadline per socket", "1s")
    .option("--verbose", "also list the sockets kept, and why", false)
    .action((options) =>
      import("./cleanup_action.ts").then((module) => module.cleanupAction(context, options))
    );
}
