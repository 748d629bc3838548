import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import tab from "@bomb.sh/tab/commander";

/**
 * Adds `tether completions bash|zsh|fish|powershell` (prints a completion script) and the
 * hidden `tether complete -- <words>` that the script calls back, both from @bomb.sh/tab,
 * which walks the registered subcommands and their flags. Call after every subcommand is added.
 * tab prints with `console.log`, i.e. to the process's stdout.
 *
 * @example
 * ```sh
 * source <(tether completions bash)
 * ```
 */
export function addCompletions(program: CommandUnknownOpts): void {
  tab(program as unknown as Parameters<typeof tab>[0], { completionCommandName: "completions" });
  // tab's own help line is capitalised; every other tether help line is not.
  program.commands.find((command) => command.name() === "completions")
    ?.description("print a shell completion script (bash, zsh, fish, powershell)");
}
