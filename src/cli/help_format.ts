import type {
  Argument,
  Command,
  CommandUnknownOpts,
  Help,
  Option,
} from "@commander-js/extra-typings";

/**
 * One way of writing help for every tether command: a "Global Options" block (`--json`,
 * `--log-level`) under each subcommand's own options, and every default and choice list
 * written the same way — `(default: 3)`, `(choices: auto, niri, sway)` — never commander's
 * quoted `(default: "3")`, and no `(default: false)` for plain switches. Flags whose default
 * depends on configuration write `(default: …)` in their description by hand, the same way.
 *
 * @example
 * ```ts
 * command.configureHelp(HELP_CONFIG);
 * ```
 */
export const HELP_CONFIG: Partial<Help> = {
  showGlobalOptions: true,
  /** The root's options that work after any subcommand (`--version` only works first). */
  visibleGlobalOptions(command: Command): Option[] {
    let root = command;
    while (root.parent) root = root.parent as Command;
    if (root === command) return [];
    return root.options.filter((option) => !option.hidden && option.long !== "--version");
  },
  optionDescription(option: Option): string {
    const extra: string[] = [];
    if (option.argChoices) extra.push(`choices: ${option.argChoices.join(", ")}`);
    const takesValue = option.required || option.optional;
    const emptyList = Array.isArray(option.defaultValue) && option.defaultValue.length === 0;
    if (takesValue && option.defaultValue !== undefined && !emptyList) {
      extra.push(`default: ${option.defaultValueDescription ?? String(option.defaultValue)}`);
    }
    return extra.length === 0 ? option.description : `${option.description} (${extra.join(", ")})`;
  },
  argumentDescription(argument: Argument): string {
    const extra: string[] = [];
    if (argument.argChoices) extra.push(`choices: ${argument.argChoices.join(", ")}`);
    if (argument.defaultValue !== undefined) {
      extra.push(`default: ${argument.defaultValueDescription ?? String(argument.defaultValue)}`);
    }
    return extra.length === 0
      ? argument.description
      : `${argument.description} (${extra.join(", ")})`;
  },
};

/** Applies {@link HELP_CONFIG} to a command and every command below it. */
export function applyHelpFormat(command: CommandUnknownOpts): void {
  command.configureHelp(HELP_CONFIG);
  for (const child of command.commands) applyHelpFormat(child);
}
