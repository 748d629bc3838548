import { readFileSafely } from "../platform/safe_file.ts";
import { join } from "node:path";
import { MAX_TIMER_MS } from "../resilience/clock.ts";
import { ConfigError } from "../platform/config_error.ts";
import { type Environment, tetherConfigDir } from "../platform/paths.ts";

/** Where a setting came from, most specific first. */
export type SettingSource = "flag" | "env" | "config" | "xp" | "default";

/** Resolved settings for `tether conbus`. */
export interface ConbusSettings {
  /** Bridge host, or null when nothing configured it. */
  host: string | null;
  /** Bridge TCP port. */
  port: number;
  /** Overall timeout of a send, ms. */
  timeoutMs: number;
  /** Quiet window for broadcasts/discover/events, ms. */
  quietMs: number;
  /** Minimum gap between telegrams written by `serve`, ms. */
  minGapMs: number;
  /** Where host and port came from (`default` = nothing chose the bridge). */
  endpointSource: SettingSource;
  /** Files read, for messages. */
  files: string[];
}

/** Defaults: the bridge's port 10001, 2 s overall, 500 ms quiet window, 50 ms gap. */
export const CONBUS_DEFAULTS = {
  port: 10001,
  timeoutMs: 2000,
  quietMs: 500,
  minGapMs: 50,
} as const;

/** Settings given as command-line flags (strings as typed; validated here). */
export interface ConbusFlags {
  /** `--host`. */
  host?: string;
  /** `--port`. */
  port?: string;
  /** `--timeout` (seconds, or with an `ms` suffix). */
  timeout?: string;
  /** `--quiet-ms`. */
  quietMs?: string;
  /** `--min-gap-ms`. */
  minGapMs?: string;
}

/** Options for {@link loadConbusSettings}. */
export interface LoadOptions {
  /** Environment (`TETHER_CONBUS_HOST`, `TETHER_CONBUS_PORT`, `XDG_CONFIG_HOME`, `HOME`). */
  env: Environment;
  /** Directory searched for xp's `cli.yml`. Default `process.cwd()`. */
  cwd?: string;
  /** Reads a file; resolves null when it does not exist. Default node:fs. */
  read?: (path: string) => Promise<string | null>;
}

interface Layer {
  host?: string;
  port?: number;
  timeoutMs?: number;
  quietMs?: number;
  minGapMs?: number;
}

/**
 * Resolves the Conbus settings. Precedence: flags > environment (`TETHER_CONBUS_HOST`,
 * `TETHER_CONBUS_PORT`) > `$XDG_CONFIG_HOME/tether/config.yml` (`conbus:` with `host`, `port`,
 * `timeout_ms`, `quiet_ms`, `min_gap_ms`) > xp's `cli.yml` in the working directory (`conbus:`
 * with `ip`, `port`, `timeout` in seconds, which only extends the 2 s default deadline) > defaults. A malformed file or value is a
 * {@link ConfigError} naming the file (or flag/variable) and the problem.
 *
 * @example
 * ```ts
 * const settings = await loadConbusSettings({ port: "10001" }, { env: process.env });
 * ```
 */
export async function loadConbusSettings(
  flags: ConbusFlags,
  options: LoadOptions,
): Promise<ConbusSettings> {
  const read = options.read ?? readIfExists;
  const configPath = join(tetherConfigDir(options.env), "config.yml");
  const xpPath = join(options.cwd ?? process.cwd(), "cli.yml");
  const files: string[] = [];
  const configText = await read(configPath);
  const xpText = await read(xpPath);
  const layers: [SettingSource, Layer][] = [
    ["flag", flagLayer(flags)],
    ["env", envLayer(options.env)],
  ];
  // Loaded only when there is a file to read: evaluating the YAML library costs ~10 ms of
  // start-up in the compiled binary, which every other subcommand would pay for nothing.
  const parseYaml = configText !== null || xpText !== null ? (await import("yaml")).parse : null;
  if (configText !== null) {
    files.push(configPath);
    layers.push(["config", tetherLayer(section(configPath, configText, parseYaml!))]);
  }
  if (xpText !== null) {
    files.push(xpPath);
    layers.push(["xp", xpLayer(section(xpPath, xpText, parseYaml!))]);
  }
  const pick = <K extends keyof Layer>(key: K): [Layer[K] | undefined, SettingSource] => {
    for (const [source, layer] of layers) {
      if (layer[key] !== undefined) return [layer[key], source];
    }
    return [undefined, "default"];
  };
  const [host, hostSource] = pick("host");
  const [port, portSource] = pick("port");
  const order: SettingSource[] = ["flag", "env", "config", "xp", "default"];
  return {
    host: host ?? null,
    port: port ?? CONBUS_DEFAULTS.port,
    timeoutMs: pick("timeoutMs")[0] ?? CONBUS_DEFAULTS.timeoutMs,
    quietMs: pick("quietMs")[0] ?? CONBUS_DEFAULTS.quietMs,
    minGapMs: pick("minGapMs")[0] ?? CONBUS_DEFAULTS.minGapMs,
    endpointSource: order[Math.min(order.indexOf(hostSource), order.indexOf(portSource))]!,
    files,
  };
}

/**
 * Largest config file read (bytes), checked before parsing: a Conbus section is a few lines,
 * and a 60 MB file once cost minutes of CPU and 3.6 GB in the synchronous YAML parse.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;

/**
 * Reads a config file (tether's config.yml or xp's cli.yml) the safe way: a regular file (a
 * symlink to one is fine), opened without blocking (a FIFO or device is refused at once), at
 * most {@link MAX_CONFIG_BYTES}, owned by you or root and not writable by group or others (a
 * cli.yml someone else planted in the working directory could redirect `send` to their host).
 */
function readIfExists(path: string): Promise<string | null> {
  return Promise.resolve(readFileSafely(path, {
    maxBytes: MAX_CONFIG_BYTES,
    followSymlinks: true,
    ownerUid: process.getuid!(),
    refuseSharedWrite: true,
    label: "config file",
  }));
}

function flagLayer(flags: ConbusFlags): Layer {
  return {
    host: flags.host === undefined ? undefined : host(flags.host, "--host"),
    port: flags.port === undefined ? undefined : port(flags.port, "--port"),
    timeoutMs: flags.timeout === undefined ? undefined : timeoutFlag(flags.timeout),
    quietMs: flags.quietMs === undefined ? undefined : positive(flags.quietMs, "--quiet-ms"),
    minGapMs: flags.minGapMs === undefined
      ? undefined
      : nonNegative(flags.minGapMs, "--min-gap-ms"),
  };
}

function envLayer(env: Environment): Layer {
  const hostValue = env.TETHER_CONBUS_HOST;
  const portValue = env.TETHER_CONBUS_PORT;
  return {
    host: hostValue ? host(hostValue, "TETHER_CONBUS_HOST") : undefined,
    port: portValue ? port(portValue, "TETHER_CONBUS_PORT") : undefined,
  };
}

/** A file's `conbus:` mapping with the path it came from, or null when it has none. */
interface ConbusSection {
  path: string;
  conbus: Record<string, unknown> | null;
}

function section(
  path: string,
  text: string,
  parseYaml: (text: string) => unknown,
): ConbusSection {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new ConfigError(`${path}: not valid YAML: ${detail}`);
  }
  if (document === null || document === undefined) return { path, conbus: null };
  if (typeof document !== "object" || Array.isArray(document)) {
    throw new ConfigError(`${path}: expected a mapping at the top level`);
  }
  const conbus = (document as Record<string, unknown>).conbus;
  if (conbus === undefined || conbus === null) return { path, conbus: null };
  if (typeof conbus !== "object" || Array.isArray(conbus)) {
    throw new ConfigError(`${path}: "conbus" must be a mapping (host, port, …)`);
  }
  return { path, conbus: conbus as Record<string, unknown> };
}

function tetherLayer({ path, conbus }: ConbusSection): Layer {
  if (conbus === null) return {};
  const known = ["host", "port", "timeout_ms", "quiet_ms", "min_gap_ms"];
  for (const key of Object.keys(conbus)) {
    if (!known.includes(key)) {
      throw new ConfigError(`${path}: unknown key conbus.${key} (known: ${known.join(", ")})`);
    }
  }
  const where = (key: string) => `${path}: conbus.${key}`;
  return {
    host: conbus.host === undefined ? undefined : host(conbus.host, where("host")),
    port: conbus.port === undefined ? undefined : port(conbus.port, where("port")),
    timeoutMs: conbus.timeout_ms === undefined
      ? undefined
      : positive(conbus.timeout_ms, where("timeout_ms")),
    quietMs: conbus.quiet_ms === undefined
      ? undefined
      : positive(conbus.quiet_ms, where("quiet_ms")),
    minGapMs: conbus.min_gap_ms === undefined
      ? undefined
      : nonNegative(conbus.min_gap_ms, where("min_gap_ms")),
  };
}

function xpLayer({ path, conbus }: ConbusSection): Layer {
  if (conbus === null) return {};
  const where = (key: string) => `${path}: conbus.${key}`;
  return {
    host: conbus.ip === undefined ? undefined : host(conbus.ip, where("ip")),
    port: conbus.port === undefined ? undefined : port(conbus.port, where("port")),
    timeoutMs: conbus.timeout === undefined
      ? undefined
      : xpTimeoutMs(positive(conbus.timeout, where("timeout"), "seconds")),
  };
}

/**
 * xp's `timeout` (seconds) meant a socket connect/send timeout in 2025-09 xp (`10`) and is an
 * inactivity timeout in current xp (`0.1`: the operation ends 0.1 s after the last frame;
 * conbus.md §1.3–1.4). Neither is tether's overall deadline, and 0.1 s as one would fail every
 * send (a reply takes 30–80 ms, a retried read twice that). So it can only extend the overall
 * deadline: max(its value, the 2 s default). It never becomes the quiet window either: a
 * discover's replies span ~270 ms.
 */
function xpTimeoutMs(seconds: number): number {
  return Math.max(CONBUS_DEFAULTS.timeoutMs, Math.round(seconds * 1000));
}

function host(value: unknown, where: string): string {
  if (typeof value !== "string" || !/^[A-Za-z0-9.:\-\[\]]+$/.test(value.trim())) {
    throw new ConfigError(`${where} must be a host name or IP address, got ${show(value)}`);
  }
  return value.trim().replace(/^\[(.*)\]$/, "$1");
}

function port(value: unknown, where: string): number {
  const number = typeof value === "number" ? value : Number(String(value).trim());
  if (!Number.isInteger(number) || number < 1 || number > 65535 || String(value).trim() === "") {
    throw new ConfigError(`${where} must be a port number 1-65535, got ${show(value)}`);
  }
  return number;
}

function positive(value: unknown, where: string, unit = "milliseconds"): number {
  const number = typeof value === "number" ? value : durationMs(String(value).trim());
  if (!Number.isFinite(number) || number <= 0 || String(value).trim() === "") {
    throw new ConfigError(`${where} must be a positive number of ${unit}, got ${show(value)}`);
  }
  checkWithinTimer(unit === "seconds" ? number * 1000 : number, where, value);
  return number;
}

/** Throws a ConfigError (exit 2) naming `where` and the limit when `ms` does not fit a timer. */
function checkWithinTimer(ms: number, where: string, value: unknown): void {
  if (ms > MAX_TIMER_MS) {
    throw new ConfigError(
      `${where} must be at most ${MAX_TIMER_MS} ms (${
        Math.floor(MAX_TIMER_MS / 1000)
      } s, the longest timer), got ${show(value)}`,
    );
  }
}

function nonNegative(value: unknown, where: string): number {
  const number = typeof value === "number" ? value : durationMs(String(value).trim());
  if (!Number.isFinite(number) || number < 0 || String(value).trim() === "") {
    throw new ConfigError(`${where} must be a number of milliseconds ≥ 0, got ${show(value)}`);
  }
  checkWithinTimer(number, where, value);
  return number;
}

/** `--timeout` is in seconds like every tether timeout flag ("2", "0.5"); "500ms" also works. */
function timeoutFlag(text: string): number {
  const trimmed = text.trim();
  const milliseconds = trimmed.endsWith("ms") ? durationMs(trimmed) : durationMs(trimmed) * 1000;
  const value = trimmed.endsWith("s") && !trimmed.endsWith("ms")
    ? durationMs(trimmed)
    : milliseconds;
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`--timeout must be a positive number of seconds, got "${text}"`);
  }
  checkWithinTimer(value, "--timeout", text);
  return value;
}

/** "2000", "2000ms" and "2s" are all 2000; anything else is NaN. */
function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(text);
  if (match === null) return NaN;
  return Number(match[1]) * (match[2] === "s" ? 1000 : 1);
}

function show(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value) ?? String(value);
}
