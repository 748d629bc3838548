import { Command, type CommandUnknownOpts, Option } from "@commander-js/extra-typings";
import { LOG_LEVELS } from "../platform/logger.ts";
import { cleanupCommand } from "./cleanup.ts";
import { conbusCommand } from "./conbus.ts";
import { doctorCommand } from "./doctor.ts";
import { kittyCommand } from "./kitty.ts";
import { addCompletions } from "./completions.ts";
import type { CliContext } from "./context.ts";
import { focusCommand } from "./focus.ts";
import { applyHelpFormat } from "./help_format.ts";
import { socketHealthCommand } from "./socket_health.ts";
import { systemdCommand } from "./systemd.ts";

/** Builds one subcommand; receives the shared context so it can print and set the exit code. */
export type SubcommandFactory = (context: CliContext) => CommandUnknownOpts;

/** One row of the command table: the word a user types, and the factory declaring its options. */
interface SubcommandRow {
  /** The subcommand's name, as its factory's `new Command(name)` spells it. */
  name: string;
  /** Declares the subcommand; its action imports the implementation when it runs. */
  declare: SubcommandFactory;
}

/** Every working subcommand, in help order. A subcommand is listed only once it works. */
const SUBCOMMANDS: readonly SubcommandRow[] = [
  { name: "focus", declare: focusCommand },
  { name: "socket-health", declare: socketHealthCommand },
  { name: "cleanup", declare: cleanupCommand },
  { name: "systemd", declare: systemdCommand },
  { name: "conbus", declare: conbusCommand },
  { name: "kitty", declare: kittyCommand },
  { name: "doctor", declare: doctorCommand },
];

/**
 * Builds the `tether` program: global options, every subcommand, and shell completions — or,
 * with `only` naming a row of the table, that subcommand alone: running one command needs no
 * other's options, and declaring all of them is a measurable part of start-up (README
 * "Start-up"). Errors from commander (unknown command or flag, bad value) are thrown, not
 * printed, so runCommand (run_command.ts) can print them as one line and exit 2.
 */
export function buildProgram(context: CliContext, only?: string): CommandUnknownOpts {
  const program = new Command("tether")
    .description("Keeps a Linux desktop's local connections healthy: compositor, kitty, Conbus.")
    // Handled by runCli before parsing (so `--version --json` prints JSON); declared for --help.
    .option("-V, --version", "print the version, build commit and runtime, and exit")
    .option("--json", "machine-readable JSON on stdout")
    .addOption(
      new Option(
        "--log-level <level>",
        "lowest log level on stderr (default: warn, or $TETHER_LOG)",
      )
        .choices(LOG_LEVELS),
    )
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: context.stdout,
      writeErr: context.stderr,
      // runCli prints commander's errors itself, as one line.
      outputError: () => {},
    });
  const row = SUBCOMMANDS.find((candidate) => candidate.name === only);
  if (row !== undefined) program.addCommand(row.declare(context));
  else {
    for (const { declare } of SUBCOMMANDS) program.addCommand(declare(context));
    addCompletions(program, context);
  }
  for (const command of program.commands) routeOutputAndErrors(command, context);
  applyHelpFormat(program);
  return program;
}

/**
 * The subcommand word in user arguments: the first that is neither an option nor the value of
 * `--log-level` (undefined when there is none, or after `--`).
 *
 * @example
 * ```ts
 * commandWord(["--log-level", "debug", "--json", "cleanup", "--dry-run"]); // "cleanup"
 * ```
 */
export function commandWord(args: readonly string[]): string | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === "--") return undefined;
    if (arg === "--log-level") index++;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/**
 * The program built to be read, not run (its commands, options and help: the man page, the
 * completion and help tests): no output, no environment, and any command it is asked to run
 * fails at its first log line.
 *
 * @example
 * ```ts
 * programForInspection().commands.map((command) => command.name()); // ["focus", …]
 * ```
 */
export function programForInspection(): CommandUnknownOpts {
  return buildProgram({
    env: {},
    stdout: () => {},
    stderr: () => {},
    stdoutIsTty: false,
    globals: () => ({ json: false, logLevel: "warn" }),
    logger: () => {
      throw new Error("a program built for inspection runs no command");
    },
    setExitCode: () => {},
    shutdownSignal: new AbortController().signal,
  });
}

/**
 * Subcommands added with addCommand inherit nothing: give each the root's output and errors.
 * A command with subcommands of its own accepts `help [subcommand]`, and a word that names
 * none of them is an unknown command with a suggestion — also for `tether focus`, whose own
 * action would otherwise take `stauts` as a surplus argument.
 */
function routeOutputAndErrors(
  command: CommandUnknownOpts,
  context: CliContext,
): CommandUnknownOpts {
  command
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: context.stdout, writeErr: context.stderr, outputError: () => {} });
  if (command.commands.length > 0) {
    command.helpCommand(true);
    command.allowExcessArguments(true).hook("preAction", (self, action) => {
      if (self === action && self.args.length > 0) {
        // commander's own message and suggestion for an unknown subcommand.
        (self as unknown as { unknownCommand(): never }).unknownCommand();
      }
    });
  }
  for (const child of command.commands) routeOutputAndErrors(child, context);
  return command;
}
