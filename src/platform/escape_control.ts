/** C0 and C1 control characters, DEL, and the Unicode bidirectional overrides/isolates. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes text safe to print on a terminal: every control character (ESC, BEL, CR, NUL, C1
 * codes, bidi overrides) becomes a visible escape (`\x1b`, `\u202e`), so input echoed back —
 * an environment variable, a flag value, bytes from the network — cannot move the cursor,
 * retitle the window or hide text. Printable text, including non-ASCII letters, is unchanged.
 *
 * @example
 * ```ts
 * escapeControl("in\x1b]0;pwned\x07fo"); // "in\\x1b]0;pwned\\x07fo"
 * ```
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (character) => {
    const code = character.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** C1 controls and bidi overrides: what JSON.stringify leaves raw (it escapes only C0). */
const JSON_UNESCAPED_CONTROL = /[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes serialised JSON safe to print: JSON.stringify escapes C0 controls but leaves C1
 * controls (U+009B is a CSI on many terminals) and bidi overrides raw; this writes them as
 * `\u009b` escapes, which parse back to the same string.
 *
 * @example
 * ```ts
 * escapeJsonControl(JSON.stringify({ frame: "<\u009b2J>" })); // '{"frame":"<\\u009b2J>"}'
 * ```
 */
export function escapeJsonControl(json: string): string {
  return json.replace(
    JSON_UNESCAPED_CONTROL,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** {@link escapeControl} for each line of a multi-line text (the newlines stay). */
export function escapeControlLines(text: string): string {
  return text.split("\n").map(escapeControl).join("\n");
}
