import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/**
 * `tether kitty setup`: prepares kitty remote control for `tether focus` (password file,
 * include file, socket directory) and prints the one line to add to kitty.conf. Never prints
 * the password. Exit 0 on success, 2 for a usage/config problem.
 */
export function kittyCommand(context: CliContext): Command {
  const kitty = new Command("kitty").description("kitty remote control for tether");
  kitty
    .command("setup")
    .description(
      "create ~/.config/kitty/rc.password and a kitty include file enabling password-protected remote control on $XDG_RUNTIME_DIR/kitty/kitty-<pid>.sock",
    )
    .option("--force", "replace an existing password file with a new password", false)
    .option(
      "--password-file <path>",
      "where to keep the password (default: ~/.config/kitty/rc.password)",
    )
    .action((options) =>
      import("./kitty_action.ts").then((module) => module.kittySetupAction(context, options))
    );
  return kitty;
}
