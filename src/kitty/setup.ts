import { lstat, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { configHome, type Environment, runtimeDir } from "../platform/paths.ts";
import { readFileSafely, writeFileSafely } from "../platform/safe_file.ts";
import { defaultPasswordFile, readPasswordFile } from "./password_file.ts";

/** Length of a generated password. */
const PASSWORD_LENGTH = 48;

/**
 * The only commands tether sends (kitty matches a password's list against the command name):
 * `set-font-size` (focus, kitty < 0.35), `action` (focus on one OS window, kitty >= 0.35: only
 * `change_font_size`) and `ls` (which OS window has focus, and the version check that decides
 * pooling and proves the password on first contact).
 */
export const TETHER_KITTY_COMMANDS: readonly string[] = ["set-font-size", "action", "ls"];

/** The include file's name, next to kitty.conf. */
export const INCLUDE_FILE_NAME = "tether.conf";

/** The line to add to kitty.conf. */
export const INCLUDE_LINE = `include ${INCLUDE_FILE_NAME}`;

/** The systemd-tmpfiles line that recreates `$XDG_RUNTIME_DIR/kitty` at every login. */
export const TMPFILES_LINE = "d %t/kitty 0700 - - -";

const PASSWORD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A random password of letters and digits (nothing kitty.conf's shell-style parsing could
 * mangle), drawn without modulo bias.
 */
export function generatePassword(length = PASSWORD_LENGTH): string {
  let password = "";
  const limit = 256 - (256 % PASSWORD_ALPHABET.length);
  while (password.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < limit && password.length < length) {
        password += PASSWORD_ALPHABET[byte % PASSWORD_ALPHABET.length];
      }
    }
  }
  return password;
}

/**
 * The kitty include file: password-mode remote control limited to tether's commands, and a
 * per-kitty socket at the rendezvous tether looks for (kitty expands `${XDG_RUNTIME_DIR}` and
 * `{kitty_pid}` itself).
 */
export function renderKittyInclude(password: string): string {
  if (!/^[A-Za-z0-9]+$/.test(password)) {
    throw new RangeError("the kitty password must be letters and digits only");
  }
  return [
    "# Written by `tether kitty setup`: kitty remote control for tether (font follows focus).",
    "# Holds the remote-control password: keep this file private (mode 0600).",
    "# kitty 0.26 exits at startup if ${XDG_RUNTIME_DIR}/kitty is missing; tether's",
    "# user-tmpfiles.d entry (tether-kitty.conf) creates it at every login.",
    "allow_remote_control password",
    `remote_control_password "${password}" ${TETHER_KITTY_COMMANDS.join(" ")}`,
    "listen_on unix:${XDG_RUNTIME_DIR}/kitty/kitty-{kitty_pid}.sock",
    "",
  ].join("\n");
}

/** Options for {@link setupKitty}. */
export interface SetupKittyOptions {
  /** Environment: `$XDG_CONFIG_HOME`, `$HOME`, `$XDG_RUNTIME_DIR`. */
  env: Environment;
  /** Where the password goes (default `~/.config/kitty/rc.password`). */
  passwordFile?: string;
  /** Replace an existing password. */
  force?: boolean;
}

/** What {@link setupKitty} did. Never contains the password. */
export interface SetupKittyReport {
  /** Absolute path of the password file (mode 0600), whether created, replaced or kept. */
  password_file: string;
  /** `created`, `replaced` (--force) or `kept` (an existing one is reused). */
  password: "created" | "replaced" | "kept";
  /** The include file written (mode 0600). */
  include_file: string;
  /** The user-tmpfiles.d entry written. */
  tmpfiles_file: string;
  /** `$XDG_RUNTIME_DIR/kitty`. */
  socket_dir: string;
  /** Whether the socket directory had to be created now. */
  socket_dir_created: boolean;
  /** kitty.conf next to the include file. */
  kitty_conf: string;
  /** Whether kitty.conf already has the include line. */
  already_included: boolean;
  /** The line to add to kitty.conf. */
  include_line: string;
}

/**
 * Sets up kitty remote control for tether: a 48-character password in `rc.password` (0600, kept
 * unless `force`), the include file `tether.conf` beside kitty.conf (0600, rewritten), a
 * user-tmpfiles.d entry so `$XDG_RUNTIME_DIR/kitty` exists at login, and that directory now.
 * An existing password file with loose permissions is rewritten as a new 0600 file. Every file
 * is written through {@link writeFileSafely} (new 0600 temp file, fsync, rename): never through
 * a symlink, never into a file someone else owns, and a reader holding the old file open never
 * sees the new password.
 */
export async function setupKitty(options: SetupKittyOptions): Promise<SetupKittyReport> {
  const env = options.env;
  const kittyDir = join(configHome(env), "kitty");
  const passwordFile = options.passwordFile ?? defaultPasswordFile(env);
  const socketDir = join(runtimeDir(env), "kitty");

  const existing = await exists(passwordFile);
  let password: string;
  if (existing && !options.force) {
    const mode = (await lstat(passwordFile)).mode;
    if ((mode & 0o077) !== 0) {
      // Re-created, not chmodded: a chmod would follow a symlink to its target.
      const text = readFileSafely(passwordFile, {
        maxBytes: 4096,
        followSymlinks: false,
        ownerUid: process.getuid!(),
        label: "kitty password file",
      }) ?? "";
      await writePrivate(passwordFile, text);
    }
    password = await readPasswordFile(passwordFile);
    if (!/^[A-Za-z0-9]+$/.test(password)) {
      throw new RangeError(
        `the password in ${passwordFile} is not letters and digits only; run \`tether kitty setup --force\``,
      );
    }
  } else {
    password = generatePassword();
    await writePrivate(passwordFile, password + "\n");
  }

  const includeFile = join(kittyDir, INCLUDE_FILE_NAME);
  await writePrivate(includeFile, renderKittyInclude(password));

  const tmpfilesFile = join(configHome(env), "user-tmpfiles.d", "tether-kitty.conf");
  await mkdir(dirname(tmpfilesFile), { recursive: true });
  writeFileSafely(
    tmpfilesFile,
    "# Written by `tether kitty setup`: kitty's socket directory (kitty 0.26 exits without it).\n" +
      TMPFILES_LINE + "\n",
    { mode: 0o644 },
  );

  const socketDirCreated = !(await exists(socketDir));
  await mkdir(socketDir, { recursive: true, mode: 0o700 });

  const kittyConf = join(kittyDir, "kitty.conf");
  const conf = readFileSafely(kittyConf, {
    maxBytes: 4 * 1024 * 1024,
    followSymlinks: true,
    label: "kitty.conf",
  }) ?? "";
  const alreadyIncluded = conf.split("\n").some((line) => line.trim() === INCLUDE_LINE);

  return {
    password_file: passwordFile,
    password: !existing ? "created" : options.force ? "replaced" : "kept",
    include_file: includeFile,
    tmpfiles_file: tmpfilesFile,
    socket_dir: socketDir,
    socket_dir_created: socketDirCreated,
    kitty_conf: kittyConf,
    already_included: alreadyIncluded,
    include_line: INCLUDE_LINE,
  };
}

/** Whether anything (even a dangling symlink) is at `path`. */
async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes a file only its owner can read, creating the directory (0700) if needed. */
async function writePrivate(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSafely(path, text, { mode: 0o600 });
}
