/**
 * The error texts kitty answers when it refuses a remote-control request, read in this one
 * place (kitty 0.26 to HEAD; protocols/kitty-remote-control.md, "Passwords"). kitty says why
 * only in prose, so these patterns are the whole contract between its wording and tether.
 *
 * @module
 */

/** Why kitty refused a request, by its error text. */
export type KittyRefusal =
  /** "newer than this kitty": the request's version is newer than kitty's (after any password check). */
  | "newer_than_kitty"
  /** "Remote control is disabled": sent without a password to a kitty that requires one. */
  | "remote_control_disabled"
  /** A password kitty knows does not allow the command, or the user denied that password. */
  | "password_rejected"
  /** Any other refusal of authorisation, e.g. the user denied this one request at the prompt. */
  | "request_rejected";

/** Each refusal's text, most specific first: the first match names the refusal. */
const REFUSAL_TEXTS: readonly (readonly [KittyRefusal, RegExp])[] = [
  ["newer_than_kitty", /newer than this kitty/i],
  ["remote_control_disabled", /remote control is disabled/i],
  ["password_rejected", /rejected this password|disallowed by remote_control_password/i],
  ["request_rejected", /rejected|disallowed/i],
];

/**
 * Names the refusal in one of kitty's error texts, or null when the text refuses nothing
 * tether knows.
 *
 * @example
 * ```ts
 * kittyRefusal("Remote control is disabled. Add allow_remote_control to your kitty.conf"); // "remote_control_disabled"
 * kittyRefusal("The user rejected this request"); // "request_rejected"
 * ```
 */
export function kittyRefusal(errorText: string): KittyRefusal | null {
  return REFUSAL_TEXTS.find(([, pattern]) => pattern.test(errorText))?.[0] ?? null;
}

/**
 * Whether an error text refuses authorisation (no password, a refused password or a denied
 * request), not merely the request's version: a command kitty answers so is an `auth` failure.
 *
 * @example
 * ```ts
 * refusesAuthorisation("The user rejected this password"); // true
 * refusesAuthorisation("... newer than this kitty instance ..."); // false
 * ```
 */
export function refusesAuthorisation(errorText: string): boolean {
  return REFUSAL_TEXTS.some(([refusal, pattern]) =>
    refusal !== "newer_than_kitty" && pattern.test(errorText)
  );
}
