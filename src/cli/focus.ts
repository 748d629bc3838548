import { Command, Option } from "@commander-js/extra-typings";
import { COMPOSITOR_CHOICES, focusDefaultText } from "../focus/focus_config.ts";
import type { CliContext } from "./context.ts";

/**
 * `tether focus`: the main job — kitty's font follows compositor focus (grow the focused kitty,
 * shrink the one that lost focus); one readable line per action on a terminal, JSON lines
 * otherwise (the output rule, output_mode.ts). `tether focus status [--json|--format waybar]`
 * and `tether focus reconnect` talk to the running tracker over its control socket. Exit 0 on
 * a clean stop (SIGINT/SIGTERM), 1 when the tracker is unreachable, 2 for usage/config errors.
 */
export function focusCommand(context: CliContext): Command {
  const focus = new Command("focus")
    .description(
      "grow the focused kitty OS window's font, shrink the one that lost focus (niri, sway, i3)",
    )
    .addOption(
      // choices() lists them in --help and completions; the parser keeps tether's own message
      // instead of commander's.
      new Option("--compositor <name>", withDefault("which compositor to follow", "compositor"))
        .choices(COMPOSITOR_CHOICES)
        .argParser((value) => value),
    )
    .option(
      "--app-id <id>",
      withDefault("app id of kitty windows (repeatable)", "app_ids"),
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      "--font-delta <points>",
      withDefault("points to grow the focused kitty by", "font_delta"),
    )
    .option(
      "--socket-timeout <duration>",
      withDefault("connect/reply timeout per attempt", "socket_timeout"),
    )
    .option(
      "--max-retries <n>",
      withDefault("attempts per kitty command (delays 0, 100, 200 ms)", "max_retries"),
    )
    .option(
      "--max-connections <n>",
      withDefault("pooled kitty connections in total (kitty >= 0.42.2)", "max_connections"),
    )
    .option(
      "--idle-timeout <duration>",
      withDefault("close pooled kitty connections idle this long", "idle_timeout"),
    )
    .option(
      "--reap-interval <duration>",
      withDefault("how often idle connections are reaped", "reap_interval"),
    )
    .option(
      "--password-file <path>",
      withDefault("kitty remote-control password", "password_file"),
    )
    .option(
      "--exclude-title <regex>",
      "never resize windows whose title matches (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--wait", "with no compositor yet, wait for one (always under systemd)", false)
    .action((options) =>
      import("./focus_action.ts").then((module) => module.focusAction(context, options))
    );
  focus.addCommand(
    new Command("status")
      .description("show every running kitty and the compositor connection of the running tracker")
      .addOption(
        new Option("--format <format>", "human, json (= --json) or waybar (one Waybar line)")
          .choices(["human", "json", "waybar"] as const),
      )
      .action((options) =>
        import("./focus_action.ts").then((module) => module.focusStatusAction(context, options))
      ),
  );
  focus.addCommand(
    new Command("pin")
      .description("leave the focused kitty OS window as it is (enlarged or not) until unpin")
      .action(() => import("./focus_action.ts").then((module) => module.focusPinAction(context))),
  );
  focus.addCommand(
    new Command("unpin")
      .description("unpin every pinned OS window (each is brought in line with focus at once)")
      .action(() => import("./focus_action.ts").then((module) => module.focusUnpinAction(context))),
  );
  focus.addCommand(
    new Command("reconnect")
      .description("make the running tracker reconnect to the compositor now")
      .action(() =>
        import("./focus_action.ts").then((module) => module.focusReconnectAction(context))
      ),
  );
  return focus;
}

/** A flag's help line with its default, written the way every tether help line writes it. */
function withDefault(description: string, key: Parameters<typeof focusDefaultText>[0]): string {
  const value = focusDefaultText(key);
  return value === null ? description : `${description} (default: ${value})`;
}
