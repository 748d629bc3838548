/**
 * Joins words the way a sentence lists them: commas, and the conjunction before the last.
 *
 * @example
 * ```ts
 * proseList(["niri", "sway", "i3"], "or"); // "niri, sway or i3"
 * proseList(["$SWAYSOCK"], "and"); // "$SWAYSOCK"
 * ```
 */
export function proseList(words: readonly string[], conjunction: "and" | "or"): string {
  return words.length < 2
    ? words.join("")
    : `${words.slice(0, -1).join(", ")} ${conjunction} ${words.at(-1)}`;
}
