import {
  Argument,
  Command,
  type CommandUnknownOpts,
  type Option,
} from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** The shells `tether completions` writes a script for. */
const SHELLS = ["bash", "zsh", "fish"] as const;

/** The hidden command the scripts call back: `tether __complete -- <words…> <current word>`. */
export const COMPLETE_COMMAND = "__complete";

/** The last output line that tells a script to complete file names itself. */
export const FILES_DIRECTIVE = ":files";

/** Options whose value is a file: the shells complete file names for these. */
const PATH_VALUE = /<(path|socket|file|dir)>/;

/**
 * Adds `tether completions bash|zsh|fish`, which prints a completion script. The scripts pass
 * the words typed so far to `tether __complete` as plain arguments — never through `eval` —
 * and print what it answers ({@link completeWords}); they can be sourced any number of times.
 * Written here rather than taken from @bomb.sh/tab, whose bash script `eval`s the command
 * line, declares `readonly` variables (errors when sourced twice), needs the bash-completion
 * package, completes no file names and gives zsh a stray `--` (README "Completions").
 *
 * @example
 * ```sh
 * source <(tether completions bash)
 * ```
 */
export function addCompletions(program: CommandUnknownOpts, context: CliContext): void {
  program.addCommand(
    new Command("completions")
      .description("print a shell completion script (bash, zsh, fish)")
      .addArgument(new Argument("<shell>", "the shell to complete in").choices(SHELLS))
      .action((shell) => context.stdout(completionScript(shell))),
  );
}

/** One completion: the word, and what it does (shown by fish; empty for values). */
export interface Candidate {
  /** The word to insert. */
  value: string;
  /** A subcommand's or flag's help line, or "". */
  description: string;
}

/**
 * The candidates for the last of `words` (the words after `tether`; the last is the one being
 * typed, "" after a space), or {@link FILES_DIRECTIVE} alone when the word is the value of a
 * path-valued flag. Pure: reads only the command tree.
 *
 * @example
 * ```ts
 * completeWords(program, ["focus", "--comp"]); // [{ value: "--compositor", description: "which compositor …" }]
 * completeWords(program, ["systemd", "install", "--bin", ""]); // [{ value: ":files", description: "" }]
 * ```
 */
export function completeWords(
  program: CommandUnknownOpts,
  words: readonly string[],
): Candidate[] {
  const current = words.at(-1) ?? "";
  let command = program;
  let pendingValue: Option | null = null;
  let operandsOnly = false;
  for (const word of words.slice(0, -1)) {
    if (pendingValue !== null) {
      pendingValue = null;
    } else if (operandsOnly || !word.startsWith("-") || word === "-") {
      const sub = visibleCommands(command).find((child) => child.name() === word);
      if (sub !== undefined) command = sub;
    } else if (word === "--") {
      operandsOnly = true;
    } else if (!word.includes("=")) {
      const option = optionsFor(command).find((o) => o.long === word || o.short === word);
      if (option !== undefined && (option.required || option.optional)) pendingValue = option;
    }
  }
  const matching = (candidates: readonly Candidate[]) =>
    candidates.filter((candidate) => candidate.value.startsWith(current));
  const plain = (values: readonly string[]) => values.map((value) => ({ value, description: "" }));
  if (pendingValue !== null) {
    if (pendingValue.argChoices) return matching(plain(pendingValue.argChoices));
    return PATH_VALUE.test(pendingValue.flags) ? plain([FILES_DIRECTIVE]) : [];
  }
  if (current.startsWith("-") && !operandsOnly) {
    const flags = optionsFor(command).flatMap((option) =>
      option.long ? [{ value: option.long, description: firstLine(option.description) }] : []
    );
    return matching([...flags, { value: "--help", description: "display help for command" }]);
  }
  const subcommands = visibleCommands(command).map((child) => ({
    value: child.name(),
    description: firstLine(child.description()),
  }));
  if (subcommands.length > 0) return matching(subcommands);
  return matching(
    plain(command.registeredArguments.flatMap((argument) => argument.argChoices ?? [])),
  );
}

/** `value<TAB>description` lines, as the scripts read them. */
export function formatCandidates(candidates: readonly Candidate[]): string {
  return candidates.map(({ value, description }) =>
    description === "" ? value : `${value}\t${description}`
  ).join("\n");
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.replace(/\t/g, " ");
}

/** The options that work at `command`: its own, then the root's (`--json`, `--log-level`). */
function optionsFor(command: CommandUnknownOpts): readonly Option[] {
  let root = command;
  while (root.parent) root = root.parent;
  const own = command.options.filter((option) => !option.hidden);
  if (root === command) return own;
  const global = root.options.filter((option) => !option.hidden && option.long !== "--version");
  return [...own, ...global];
}

function visibleCommands(command: CommandUnknownOpts): CommandUnknownOpts[] {
  return command.commands.filter((child) =>
    !(child as unknown as { _hidden?: boolean })._hidden && child.name() !== "help"
  );
}

/** The completion script for one shell. */
function completionScript(shell: typeof SHELLS[number]): string {
  return SCRIPTS[shell];
}

const SCRIPTS: Record<typeof SHELLS[number], string> = {
  bash: `# bash completion for tether (\`source <(tether completions bash)\`; safe to source again).
# The words typed so far go to tether as arguments: nothing on the command line is evaluated.
# Uses bash's own COMP_WORDS, so the bash-completion package is not needed.
_tether_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local -a out
  mapfile -t out < <(command tether ${COMPLETE_COMMAND} -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  if (( \${#out[@]} > 0 )) && [[ \${out[\${#out[@]}-1]} == "${FILES_DIRECTIVE}" ]]; then
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  else
    COMPREPLY=("\${out[@]%%$'\\t'*}")
  fi
}
complete -F _tether_complete tether
`,
  zsh: `#compdef tether
# zsh completion for tether (\`source <(tether completions zsh)\` after compinit, or save as
# _tether in a directory of $fpath). The words typed so far go to tether as arguments:
# nothing on the command line is evaluated.
_tether() {
  local -a out
  out=("\${(@f)$(command tether ${COMPLETE_COMMAND} -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ \${out[-1]} == "${FILES_DIRECTIVE}" ]]; then
    _files
  elif [[ -n \${out[1]} ]]; then
    compadd -- "\${(@)out%%$'\\t'*}"
  fi
}
if [[ \${zsh_eval_context[-1]} == loadautoload ]]; then
  _tether "$@"
elif (( \${+functions[compdef]} )); then
  compdef _tether tether
fi
`,
  fish: `# fish completion for tether (\`tether completions fish | source\`; safe to source again).
# The words typed so far go to tether as arguments: nothing on the command line is evaluated.
function __tether_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out (command tether ${COMPLETE_COMMAND} -- $words[2..-1] 2>/dev/null)
    if test (count $out) -gt 0; and test "$out[-1]" = "${FILES_DIRECTIVE}"
        __fish_complete_path (commandline -ct)
    else if test (count $out) -gt 0
        printf '%s\\n' $out
    end
end
complete -c tether -e
complete -c tether -f -a '(__tether_complete)'
`,
};
