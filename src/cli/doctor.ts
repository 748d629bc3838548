import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/**
 * `tether doctor`: checks, in order, everything tether depends on — runtime dir, config.yml,
 * compositor, kitty.conf and the password file, every running kitty, the systemd units, stale
 * sockets, the Conbus bridge — and prints ok / warn / fail with the fix for each. Exit 0 when
 * nothing failed (warnings allowed), 1 when a check failed, 2 for usage errors.
 */
export function doctorCommand(context: CliContext): Command {
  return new Command("doctor")
    .description("check the runtime dir, compositor, kitty, systemd units, sockets and Conbus")
    .option("--timeout <duration>", "deadline of each probe", "1s")
    .action((options) =>
      import("./doctor_action.ts").then((module) => module.doctorAction(context, options))
    );
}
