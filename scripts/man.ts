/**
 * Writes tether(1), the man page, to stdout: every visible command, option and argument comes
 * from the commander program itself (src/cli/program.ts), so the page cannot drift from
 * `--help`; the sections around them (exit status, environment, files) are written here and
 * checked against the source by tests/scripts/man_test.ts. scripts/install.sh installs the
 * result as share/man/man1/tether.1.
 *
 * @example
 * ```sh
 * deno run --allow-read --allow-env scripts/man.ts > tether.1 && man -l tether.1
 * ```
 *
 * @module
 */
import { Help } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { HELP_CONFIG } from "../src/cli/help_format.ts";
import { programForInspection } from "../src/cli/program.ts";
import { VERSION } from "../src/cli/version.ts";

/** Environment variables tether reads, with what they do (each is checked against src/). */
export const ENVIRONMENT: readonly (readonly [string, string])[] = [
  ["TETHER_LOG", "default for --log-level (debug, info, warn, error, silent)."],
  ["NO_COLOR", "when set and not empty, no colours."],
  [
    "TERM",
    "unset or dumb: plain output, no colours and no cursor movement (socket-health --watch appends).",
  ],
  ["XDG_RUNTIME_DIR", "the runtime directory: compositor, kitty and tether sockets live here."],
  [
    "XDG_CONFIG_HOME",
    "where config.yml, kitty's rc.password and the systemd units live (default ~/.config). Every key of config.yml's focus: section can also be set as TETHER_FOCUS_<KEY> (e.g. TETHER_FOCUS_FONT_DELTA).",
  ],
  ["HOME", "the default for XDG_CONFIG_HOME."],
  ["NIRI_SOCKET", "niri's IPC socket, tried first by --compositor auto."],
  ["SWAYSOCK", "sway's IPC socket, tried after NIRI_SOCKET."],
  ["I3SOCK", "i3's IPC socket (sway sets it too); doctor checks the compositor it names."],
  ["PATH", "where doctor looks for systemctl."],
  ["TETHER_CONBUS_HOST", "the Conbus bridge's host (conbus send, conbus serve)."],
  ["TETHER_CONBUS_PORT", "the Conbus bridge's TCP port."],
  [
    "JOURNAL_STREAM",
    "set by systemd: log lines get journal priorities; tether focus writes its JSON lines as debug log lines when stdout is the journal.",
  ],
  ["INVOCATION_ID", "set by systemd: tether focus waits for a compositor instead of exiting 2."],
];

/** Escapes text for a roff line: backslashes, hyphens of flags, a leading dot or quote. */
function roff(text: string): string {
  const escaped = text.replaceAll("\\", "\\e").replaceAll("-", "\\-");
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

/** Commands below `command`, depth first, with their full names (`tether focus status`). */
function commandTree(command: CommandUnknownOpts, help: Help, prefix: string): string[] {
  const lines: string[] = [];
  for (const child of help.visibleCommands(command)) {
    if (child.name() === "help") continue;
    const path = `${prefix} ${child.name()}`;
    const usage = child.usage();
    lines.push(`.SS "${roff(`${path} ${usage}`.trim())}"`, roff(child.description()));
    const options = help.visibleOptions(child).filter((option) => option.long !== "--help");
    for (const argument of help.visibleArguments(child)) {
      lines.push(".TP", `.I ${roff(argument.name())}`, roff(help.argumentDescription(argument)));
    }
    for (const option of options) {
      lines.push(
        ".TP",
        `.B ${roff(help.optionTerm(option))}`,
        roff(help.optionDescription(option)),
      );
    }
    lines.push(...commandTree(child, help, path));
  }
  return lines;
}

/** tether(1) in man(7) roff, built from `program`. */
export function renderManPage(program: CommandUnknownOpts): string {
  // The same defaults and choices as `--help` writes them: `(default: 3)`.
  const help = Object.assign(new Help(), HELP_CONFIG);
  const globals = help.visibleOptions(program).filter((option) => option.long !== "--help");
  return [
    `.TH TETHER 1 "" "tether ${VERSION}" "User Commands"`,
    ".SH NAME",
    `tether \\- ${roff(program.description().replace(/\.$/, ""))}`,
    ".SH SYNOPSIS",
    ".B tether",
    "[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]",
    ".SH DESCRIPTION",
    roff(
      "One command-line program for tiling Wayland desktops (niri, sway; i3 on X11) with the " +
        "kitty terminal and Conson XP home-automation bridges. stdout carries data (--json: " +
        "JSON), stderr carries log lines; commands stay quiet unless something is wrong.",
    ),
    ".SH GLOBAL OPTIONS",
    ...globals.flatMap((option) => [
      ".TP",
      `.B ${roff(help.optionTerm(option))}`,
      roff(help.optionDescription(option)),
    ]),
    ".SH COMMANDS",
    ...commandTree(program, help, "tether"),
    ".SH EXIT STATUS",
    ".TP",
    ".B 0",
    "success; everything checked is healthy.",
    ".TP",
    ".B 1",
    "an operation failed, or something is unhealthy.",
    ".TP",
    ".B 2",
    "usage or configuration error (unknown command or flag, bad value, malformed config, " +
    "no XDG_RUNTIME_DIR).",
    ".SH ENVIRONMENT",
    ...ENVIRONMENT.flatMap(([name, text]) => [".TP", `.B ${name}`, roff(text)]),
    ".SH FILES",
    ".TP",
    ".I ~/.config/systemd/user/tether\\-*",
    roff(
      "the user units tether systemd install writes (cleanup service and timer, focus service, " +
        "session target).",
    ),
    ".TP",
    ".I $XDG_RUNTIME_DIR/tether/",
    roff("control sockets of the running daemons (focus.sock) and the focus crash record."),
    ".TP",
    ".I ~/.config/kitty/rc.password",
    roff("kitty's remote-control password, written by tether kitty setup (mode 0600)."),
    ".SH SEE ALSO",
    ".BR kitty (1),",
    ".BR sway (1),",
    ".BR niri (1),",
    ".BR systemctl (1),",
    ".BR systemd.timer (5)",
    "",
  ].join("\n");
}

if (import.meta.main) {
  const program = programForInspection();
  await Deno.stdout.write(new TextEncoder().encode(renderManPage(program)));
}
