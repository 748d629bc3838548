import { isAbsolute, join, resolve } from "node:path";
import type { CompositorChoice } from "../compositor/compositor_socket.ts";
import { COMPOSITOR_KINDS, compositorNames } from "../compositor/compositors.ts";
import { checkSectionKeys } from "../platform/config.ts";
import { ConfigError } from "../platform/config_error.ts";
import { type DurationSpec, parseDurationMs } from "../platform/duration.ts";
import { type Environment, homeDir } from "../platform/paths.ts";

/** What `--compositor` accepts (also its completions): `auto`, then every compositor's kind. */
export const COMPOSITOR_CHOICES: readonly CompositorChoice[] = ["auto", ...COMPOSITOR_KINDS];

/** `tether focus` settings, resolved and validated (what the daemon runs with). */
export interface FocusSettings {
  /** `--compositor`: the one to follow, or `auto` (the one whose socket answers). */
  compositor: CompositorChoice;
  /** Every `--app-id` (X11 classes under Xwayland) of kitty windows; at least one. */
  appIds: string[];
  /** `--font-delta`: points the focused kitty OS window grows by. */
  deltaPt: number;
  /** `--socket-timeout`: connect and reply deadline of one attempt on any socket, ms. */
  socketTimeoutMs: number;
  /** `--max-retries`: attempts per kitty command. */
  maxAttempts: number;
  /** `--max-connections`: pooled kitty connections across every kitty instance. */
  maxConnections: number;
  /** `--idle-timeout`: a pooled kitty connection unused this long is closed, ms. */
  idleTimeoutMs: number;
  /** `--reap-interval`: how often idle pooled connections are looked for, ms. */
  reapIntervalMs: number;
  /** `--password-file`: kitty's remote-control password file, or undefined for the default. */
  passwordFile?: string;
  /** `--exclude-title` patterns: windows whose title matches one of these are never resized. */
  excludeTitles: RegExp[];
}

/**
 * Values as typed on the command line (undefined = not given); keys are the settings'.
 * `app_ids` collects every `--app-id`, `exclude_titles` every `--exclude-title`.
 */
export type FocusFlags =
  & Partial<Record<Exclude<FocusKey, "exclude_titles" | "app_ids">, string>>
  & {
    app_ids?: string[];
    exclude_titles?: string[];
  };

type FocusKey = keyof typeof FOCUS_KEYS;

/** How one setting is named in each layer and parsed. */
interface KeySpec {
  /** The flag, e.g. `--font-delta`. */
  flag: string;
  /** The default, as documented in `--help`. */
  defaultText: string | null;
  /** Parses a flag, environment or config value; `where` names it in messages. */
  parse(value: unknown, where: string): unknown;
}

const number = (limits: { min: number; max: number; integer?: boolean }) =>
(
  value: unknown,
  where: string,
): number => {
  const text = String(value).trim();
  const parsed = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  const valid = Number.isFinite(parsed) && parsed >= limits.min && parsed <= limits.max &&
    (!limits.integer || Number.isInteger(parsed));
  if (!valid) {
    throw new ConfigError(
      `${where} must be ${
        limits.integer ? "a whole number" : "a number"
      } from ${limits.min} to ${limits.max}, got ${show(value)}`,
    );
  }
  return parsed;
};

const duration = (spec: Omit<DurationSpec, "name">) => (value: unknown, where: string): number =>
  parseDurationMs(value, { ...spec, name: where });

/**
 * Every `tether focus` setting: flag, `config.yml` key (`focus.<key>`), environment variable
 * (`TETHER_FOCUS_<KEY>`), default and parser.
 */
const FOCUS_KEYS = {
  compositor: {
    flag: "--compositor",
    defaultText: "auto",
    parse: (value: unknown, where: string): CompositorChoice => {
      const text = String(value);
      if ((COMPOSITOR_CHOICES as readonly string[]).includes(text)) return text as CompositorChoice;
      throw new ConfigError(
        `${where} must be auto, ${compositorNames("or")}, got ${show(value)}`,
      );
    },
  },
  app_ids: {
    flag: "--app-id",
    defaultText: "kitty",
    /**
     * A list of app ids: an array (flags, config list), a single string (config), or a
     * comma-separated string (the environment).
     */
    parse: (value: unknown, where: string): string[] => {
      const ids = Array.isArray(value) ? value : [value];
      if (ids.length === 0) throw new ConfigError(`${where} must name at least one app id`);
      return ids.map((id) => {
        if (typeof id !== "string") {
          throw new ConfigError(`${where} must be app ids (strings), got ${show(id)}`);
        }
        if (id.trim() === "") throw new ConfigError(`${where} must not be empty`);
        return id;
      });
    },
  },
  font_delta: { flag: "--font-delta", defaultText: "3", parse: number({ min: 0.5, max: 50 }) },
  socket_timeout: {
    flag: "--socket-timeout",
    defaultText: "2s",
    parse: duration({ unit: "s", minMs: 50, maxMs: 60_000 }),
  },
  max_retries: {
    flag: "--max-retries",
    defaultText: "3",
    parse: number({ min: 1, max: 10, integer: true }),
  },
  max_connections: {
    flag: "--max-connections",
    defaultText: "10",
    parse: number({ min: 1, max: 256, integer: true }),
  },
  idle_timeout: {
    flag: "--idle-timeout",
    defaultText: "1800s",
    parse: duration({ unit: "s", minMs: 1000, maxMs: 86_400_000 }),
  },
  reap_interval: {
    flag: "--reap-interval",
    defaultText: "300s",
    parse: duration({ unit: "s", minMs: 1000, maxMs: 86_400_000 }),
  },
  password_file: {
    flag: "--password-file",
    defaultText: "~/.config/kitty/rc.password",
    parse: (value: unknown, where: string): string => {
      if (typeof value !== "string" || value.trim() === "") {
        throw new ConfigError(`${where} must be a file path`);
      }
      return value;
    },
  },
  exclude_titles: {
    flag: "--exclude-title",
    defaultText: null,
    /** A list of regular expressions (a single one as a string, e.g. in the environment). */
    parse: (value: unknown, where: string): RegExp[] => {
      const patterns = Array.isArray(value) ? value : [value];
      return patterns.map((pattern) => {
        if (typeof pattern !== "string") {
          throw new ConfigError(`${where} must be regular expressions, got ${show(pattern)}`);
        }
        try {
          return new RegExp(pattern);
        } catch (error) {
          throw new ConfigError(
            `${where} "${pattern}" is not a valid regular expression: ${(error as Error).message}`,
          );
        }
      });
    },
  },
} satisfies Record<string, KeySpec>;

/** The keys of `config.yml`'s `focus:` section. */
const FOCUS_CONFIG_KEYS: readonly string[] = Object.keys(FOCUS_KEYS);

/** The default of a setting as `--help` shows it (`"3"`, `"2s"`). */
export function focusDefaultText(key: FocusKey): string | null {
  return FOCUS_KEYS[key].defaultText;
}

/** The environment variable of a setting: `TETHER_FOCUS_FONT_DELTA` for `font_delta`. */
function focusEnvName(key: string): string {
  return `TETHER_FOCUS_${key.toUpperCase()}`;
}

/** Where the settings come from besides flags. */
export interface FocusSources {
  /** Environment (`TETHER_FOCUS_*`, `HOME` for `~/` in the config file). */
  env: Environment;
  /** `config.yml`'s `focus:` section, or null. */
  section: Record<string, unknown> | null;
  /** The config file's path, for messages. */
  configPath: string;
  /** Resolves a relative `--password-file` (default the working directory). */
  cwd?: string;
}

/**
 * Resolves `tether focus` settings with the precedence flags > environment
 * (`TETHER_FOCUS_<KEY>`) > `config.yml` (`focus:`) > defaults. Every value is validated where
 * it came from: a bad one is a {@link ConfigError} naming the flag, variable or file and key;
 * so is an unknown key in the `focus:` section (with a "did you mean").
 *
 * @example
 * ```ts
 * const settings = resolveFocusSettings({ font_delta: "2" }, { env: {}, section: null, configPath: "" });
 * settings.deltaPt; // 2
 * ```
 */
export function resolveFocusSettings(flags: FocusFlags, sources: FocusSources): FocusSettings {
  const { env, section, configPath } = sources;
  if (section !== null) checkSectionKeys(configPath, "focus", section, FOCUS_CONFIG_KEYS);
  const pick = <K extends FocusKey>(key: K): ReturnType<typeof FOCUS_KEYS[K]["parse"]> | null => {
    const spec: KeySpec = FOCUS_KEYS[key];
    const flag = flags[key];
    if (flag !== undefined) return spec.parse(flag, spec.flag) as never;
    const envValue = env[focusEnvName(key)];
    if (envValue !== undefined && envValue !== "") {
      const value = key === "app_ids" ? envValue.split(",") : envValue;
      return spec.parse(value, focusEnvName(key)) as never;
    }
    if (section !== null && section[key] !== undefined && section[key] !== null) {
      return spec.parse(section[key], `${configPath}: focus.${key}`) as never;
    }
    return null;
  };
  const passwordFlag = flags.password_file;
  const password = pick("password_file");
  return {
    compositor: pick("compositor") ?? "auto",
    appIds: pick("app_ids") ?? ["kitty"],
    deltaPt: pick("font_delta") ?? 3,
    socketTimeoutMs: pick("socket_timeout") ?? 2000,
    maxAttempts: pick("max_retries") ?? 3,
    maxConnections: pick("max_connections") ?? 10,
    idleTimeoutMs: pick("idle_timeout") ?? 1_800_000,
    reapIntervalMs: pick("reap_interval") ?? 300_000,
    excludeTitles: pick("exclude_titles") ?? [],
    passwordFile: password === null
      ? undefined
      : passwordFlag !== undefined
      ? resolve(sources.cwd ?? process.cwd(), password)
      : configuredPath(password, env, passwordSource(flags, env, configPath)),
  };
}

function passwordSource(flags: FocusFlags, env: Environment, configPath: string): string {
  if (flags.password_file !== undefined) return "--password-file";
  return env[focusEnvName("password_file")]
    ? focusEnvName("password_file")
    : `${configPath}: focus.password_file`;
}

/** A path from the environment or the config file: absolute, or `~/…` below the home dir. */
function configuredPath(path: string, env: Environment, where: string): string {
  if (path.startsWith("~/")) return join(homeDir(env), path.slice(2));
  if (!isAbsolute(path)) {
    throw new ConfigError(`${where} must be an absolute path or start with ~/, got "${path}"`);
  }
  return path;
}

function show(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value) ?? String(value);
}
