import { Command, Option } from "@commander-js/extra-typings";
import { SOCKET_KINDS } from "../sockets/socket_entry.ts";
import type { CliContext } from "./context.ts";

/**
 * `tether socket-health`: discovers the user's IPC sockets and probes them in parallel, each
 * with its own deadline. Exit 0 when all are healthy, 1 otherwise, 2 for usage errors.
 * `--watch` re-probes every `--interval` seconds until SIGINT/SIGTERM; what it prints follows
 * the output rule (output_mode.ts): a live view on a terminal, JSON lines otherwise, Waybar
 * lines with `--format waybar`.
 */
export function socketHealthCommand(context: CliContext): Command {
  return new Command("socket-health")
    .description(
      "probe sway, i3, niri, kitty and tether sockets: healthy, degraded, unresponsive, stale or missing",
    )
    .option("--timeout <duration>", "deadline per socket", "1s")
    .addOption(
      // choices() lists them in --help and completions; parseKind gives tether's own message.
      new Option("--kind <kind>", "only sockets of this kind").choices(SOCKET_KINDS)
        .argParser((value) => value),
    )
    .option("--path <socket>", "probe only this socket")
    .option("--watch", "re-probe forever; live lines on a terminal, JSON lines otherwise", false)
    .option("--interval <duration>", "time between --watch rounds", "30s")
    .addOption(
      new Option("--format <format>", "human, json (= --json) or waybar (Waybar custom module)")
        .choices(["human", "json", "waybar"] as const),
    )
    .option("--fail-after <probes>", "waybar: a socket is down after this many failed probes", "3")
    .action((options) =>
      import("./socket_health_action.ts").then((module) =>
        module.socketHealthAction(context, options)
      )
    );
}
