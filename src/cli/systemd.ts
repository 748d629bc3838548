import { Command, Option } from "@commander-js/extra-typings";
import { DEFAULT_UNIT_SETTINGS } from "../platform/systemd_units.ts";
import type { CliContext } from "./context.ts";

/**
 * `tether systemd install|uninstall`: writes (or removes) tether's user units in
 * `$XDG_CONFIG_HOME/systemd/user`, then prints the systemctl commands to run. A unit that
 * differs from what tether would write is never overwritten (or removed) without `--force`.
 */
export function systemdCommand(context: CliContext): Command {
  const command = new Command("systemd").description(
    "install or remove tether's systemd user units (cleanup timer, focus service, session target)",
  );
  command.command("install")
    .description(
      "write tether-cleanup.service/.timer, tether-focus.service and tether-session.target",
    )
    .option("--dry-run", "print the units and what would be written, write nothing", false)
    .option("--bin <path>", "absolute path of the tether binary (default: this executable)")
    .option("--force", "overwrite units that were edited by hand", false)
    .addOption(
      new Option("--compositor <name>", "which compositor the focus service follows")
        .choices(["auto", "niri", "sway", "i3"] as const)
        .default(DEFAULT_UNIT_SETTINGS.compositor),
    )
    .option(
      "--app-id <id>",
      `app id of kitty windows (focus service; repeatable; default: ${
        DEFAULT_UNIT_SETTINGS.appIds.join(", ")
      })`,
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      "--font-delta <points>",
      "points the focus service grows the focused kitty by",
      String(DEFAULT_UNIT_SETTINGS.fontDeltaPt),
    )
    .option(
      "--cleanup-interval <span>",
      "how often the timer runs cleanup (systemd time span: 300s, 5min, 1h)",
      DEFAULT_UNIT_SETTINGS.cleanupInterval,
    )
    .action((options) =>
      import("./systemd_action.ts").then((module) => module.systemdInstallAction(context, options))
    );
  command.command("uninstall")
    .description(
      "remove tether's units once disabled (changed or still enabled ones stay unless --force)",
    )
    .option("--dry-run", "print what would be removed, remove nothing", false)
    .option(
      "--force",
      "also remove units that no longer carry tether's marker or are still enabled",
      false,
    )
    .action((options) =>
      import("./systemd_action.ts").then((module) =>
        module.systemdUninstallAction(context, options)
      )
    );
  return command;
}
