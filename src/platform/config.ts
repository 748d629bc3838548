import { join } from "node:path";
import { ConfigError } from "./config_error.ts";
import { type Environment, tetherConfigDir } from "./paths.ts";
import { readFileSafely } from "./safe_file.ts";
import { didYouMean } from "./suggest.ts";

/** The sections `config.yml` may have; anything else at the top level is an error (exit 2). */
const CONFIG_SECTIONS = ["conbus", "focus"] as const;

/** One section of `config.yml`. */
export type ConfigSectionName = typeof CONFIG_SECTIONS[number];

/** Reads a config file's text; resolves null when it does not exist. */
export type ConfigReader = (path: string) => Promise<string | null>;

/** tether's `config.yml`, checked at the top level: each section present is a mapping. */
export interface TetherConfig {
  /** The file it was read from. */
  path: string;
  /** The sections the file has (a section left empty or null is absent). */
  sections: Partial<Record<ConfigSectionName, Record<string, unknown>>>;
}

/** `$XDG_CONFIG_HOME/tether/config.yml`. */
export function tetherConfigPath(env: Environment): string {
  return join(tetherConfigDir(env), "config.yml");
}

/**
 * Largest config file read (bytes), checked before parsing: a config is a few lines, and a
 * 60 MB file once cost minutes of CPU and 3.6 GB in the synchronous YAML parse.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;

/**
 * The one place a config file (tether's `config.yml`, xp's `cli.yml`) is read from disk: its
 * text, or null when it does not exist. Read the safe way: a regular file (a symlink to one is
 * fine), opened without blocking (a FIFO or device is refused at once), at most
 * {@link MAX_CONFIG_BYTES}, owned by you or root and not writable by group or others (a
 * cli.yml someone else planted in the working directory could redirect `send` to their host).
 * Anything refused or unreadable is a {@link ConfigError}.
 */
export function readConfigText(path: string): Promise<string | null> {
  return Promise.resolve(readFileSafely(path, {
    maxBytes: MAX_CONFIG_BYTES,
    followSymlinks: true,
    ownerUid: process.getuid!(),
    refuseSharedWrite: true,
    label: "config file",
  }));
}

/**
 * Reads and checks `$XDG_CONFIG_HOME/tether/config.yml`: null when there is none; a
 * {@link ConfigError} (one line naming the file) when it is not YAML, not a mapping, has a
 * top-level key that is no section (with a "did you mean"), or a section that is no mapping.
 * Keys inside a section are each domain's to check ({@link checkSectionKeys}).
 *
 * @example
 * ```ts
 * const config = await loadTetherConfig(process.env);
 * const focus = config?.sections.focus ?? {};
 * ```
 */
export async function loadTetherConfig(
  env: Environment,
  read: ConfigReader = readConfigText,
): Promise<TetherConfig | null> {
  const path = tetherConfigPath(env);
  const text = await read(path);
  if (text === null) return null;
  const document = await parseYamlMapping(path, text);
  const sections: TetherConfig["sections"] = {};
  for (const [key, value] of Object.entries(document ?? {})) {
    if (!(CONFIG_SECTIONS as readonly string[]).includes(key)) {
      throw new ConfigError(
        `${path}: unknown section "${key}"${didYouMean(key, CONFIG_SECTIONS)} (sections: ${
          CONFIG_SECTIONS.join(", ")
        })`,
      );
    }
    const section = sectionOf(path, key, value);
    if (section !== null) sections[key as ConfigSectionName] = section;
  }
  return { path, sections };
}

/**
 * Parses YAML text whose top level must be a mapping (or empty: null). The YAML library is
 * loaded only here, when a file exists (its evaluation costs start-up time). A syntax error
 * is one complete line: the parser's first line, position included, no dangling colon.
 */
export async function parseYamlMapping(
  path: string,
  text: string,
): Promise<Record<string, unknown> | null> {
  const { parseYaml } = await import("./yaml_library.ts");
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${path}: not valid YAML: ${yamlErrorLine(error)}`);
  }
  if (document === null || document === undefined) return null;
  if (typeof document !== "object" || Array.isArray(document)) {
    throw new ConfigError(`${path}: expected a mapping at the top level`);
  }
  return document as Record<string, unknown>;
}

/** A section's mapping (null when absent or empty); anything but a mapping is a ConfigError. */
export function sectionOf(
  path: string,
  name: string,
  value: unknown,
): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError(`${path}: "${name}" must be a mapping of settings`);
  }
  return value as Record<string, unknown>;
}

/** Rejects a key of `section` that is not in `known`, naming it with a "did you mean". */
export function checkSectionKeys(
  path: string,
  name: string,
  section: Record<string, unknown>,
  known: readonly string[],
): void {
  for (const key of Object.keys(section)) {
    if (!known.includes(key)) {
      throw new ConfigError(
        `${path}: unknown key ${name}.${key}${didYouMean(key, known)} (known: ${known.join(", ")})`,
      );
    }
  }
}

function yamlErrorLine(error: unknown): string {
  const first = error instanceof Error ? error.message.split("\n")[0]! : String(error);
  return first.trim().replace(/:$/, "");
}
