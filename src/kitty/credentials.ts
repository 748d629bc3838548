import { DEFAULT_PROC_ROOT } from "../platform/proc.ts";
import { ConnectionError } from "../resilience/errors.ts";
import type { KittyCommand } from "./codec.ts";
import { encryptCommand, parseKittyPublicKey } from "./crypto.ts";
import { readPasswordFile } from "./password_file.ts";
import { findKittyPublicKey } from "./public_key.ts";

/** What encrypting commands for one password-mode kitty takes. */
export interface KittyCredentials {
  /** The remote-control password (never printed). */
  password: string;
  /** kitty's X25519 public key, raw 32 bytes. */
  publicKey: Uint8Array;
}

/**
 * Reads the password file and kitty `pid`'s public key (from a child process's environment).
 * Every problem is a `not_configured` {@link ConnectionError} saying what to do: no or unsafe
 * password file (see password_file.ts), or no public key in any child's environment.
 *
 * @example
 * ```ts
 * const credentials = await readKittyCredentials(4121, "/home/me/.config/kitty/rc.password");
 * ```
 */
export async function readKittyCredentials(
  pid: number,
  passwordFile: string,
  procRoot: string = DEFAULT_PROC_ROOT,
): Promise<KittyCredentials> {
  const password = await readPasswordFile(passwordFile);
  const keyText = await findKittyPublicKey(pid, procRoot);
  if (keyText === null) {
    throw new ConnectionError(
      "not_configured",
      `kitty ${pid}: its public key (KITTY_PUBLIC_KEY) is in no child process's ` +
        "environment, so password-mode commands cannot be encrypted; open a window in it",
    );
  }
  return { password, publicKey: parseKittyPublicKey(keyText) };
}

/**
 * The message to send for `command`: encrypted for a password-mode kitty (fresh key and IV each
 * time), the command itself for an open one (`credentials` null).
 */
export async function sealCommand(
  command: KittyCommand,
  credentials: KittyCredentials | null,
): Promise<object> {
  if (credentials === null) return command;
  return await encryptCommand(command, credentials.password, credentials.publicKey);
}
