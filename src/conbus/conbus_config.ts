import { join } from "node:path";
import {
  checkSectionKeys,
  type ConfigReader,
  loadTetherConfig,
  parseYamlMapping,
  readConfigText,
  sectionOf,
} from "../platform/config.ts";
import { ConfigError } from "../platform/config_error.ts";
import { parseDurationMs } from "../platform/duration.ts";
import type { Environment } from "../platform/paths.ts";

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
const CONBUS_DEFAULTS = {
  port: 10001,
  timeoutMs: 2000,
  quietMs: 500,
  minGapMs: 50,
} as const;

/** Settings given as command-line flags (strings as typed; validated here). */
export interface ConbusFlags {
  /** The bridge's address as typed after `--host`; absent: environment, then config files. */
  host?: string;
  /**
   * The bridge's TCP port as typed after `--port`; absent: config files, else the default.
   *
   * @default {"10001"}
   */
  port?: string;
  /** `--timeout` (a duration; plain numbers are seconds). */
  timeout?: string;
  /** `--quiet-ms` (a duration; plain numbers are milliseconds). */
  quietMs?: string;
  /** `--min-gap-ms` (a duration; plain numbers are milliseconds). */
  minGapMs?: string;
}

/** Options for {@link loadConbusSettings}. */
export interface LoadOptions {
  /** Environment (`TETHER_CONBUS_HOST`, `TETHER_CONBUS_PORT`, `XDG_CONFIG_HOME`, `HOME`). */
  env: Environment;
  /** Directory searched for xp's `cli.yml`. Default `process.cwd()`. */
  cwd?: string;
  /** Reads a file; resolves null when it does not exist. Default {@link readConfigText}. */
  read?: ConfigReader;
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
  const read = options.read ?? readConfigText;
  const xpPath = join(options.cwd ?? process.cwd(), "cli.yml");
  const files: string[] = [];
  const layers: [SettingSource, Layer][] = [
    ["flag", flagLayer(flags)],
    ["env", envLayer(options.env)],
  ];
  const config = await loadTetherConfig(options.env, read);
  if (config !== null) {
    files.push(config.path);
    layers.push(["config", tetherLayer(config.path, config.sections.conbus ?? null)]);
  }
  const xpText = await read(xpPath);
  if (xpText !== null) {
    files.push(xpPath);
    const document = await parseYamlMapping(xpPath, xpText);
    layers.push(["xp", xpLayer(xpPath, sectionOf(xpPath, "conbus", document?.conbus))]);
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

function flagLayer(flags: ConbusFlags): Layer {
  return {
    host: flags.host === undefined ? undefined : host(flags.host, "--host"),
    port: flags.port === undefined ? undefined : port(flags.port, "--port"),
    timeoutMs: flags.timeout === undefined
      ? undefined
      : parseDurationMs(flags.timeout, { name: "--timeout", unit: "s" }),
    quietMs: flags.quietMs === undefined
      ? undefined
      : parseDurationMs(flags.quietMs, { name: "--quiet-ms", unit: "ms" }),
    minGapMs: flags.minGapMs === undefined
      ? undefined
      : parseDurationMs(flags.minGapMs, { name: "--min-gap-ms", unit: "ms", allowZero: true }),
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

/** The keys of `config.yml`'s `conbus:` section. */
const CONBUS_CONFIG_KEYS = ["host", "port", "timeout_ms", "quiet_ms", "min_gap_ms"] as const;

function tetherLayer(path: string, conbus: Record<string, unknown> | null): Layer {
  if (conbus === null) return {};
  checkSectionKeys(path, "conbus", conbus, CONBUS_CONFIG_KEYS);
  const where = (key: string) => `${path}: conbus.${key}`;
  return {
    host: conbus.host === undefined ? undefined : host(conbus.host, where("host")),
    port: conbus.port === undefined ? undefined : port(conbus.port, where("port")),
    timeoutMs: conbus.timeout_ms === undefined
      ? undefined
      : parseDurationMs(conbus.timeout_ms, { name: where("timeout_ms"), unit: "ms" }),
    quietMs: conbus.quiet_ms === undefined
      ? undefined
      : parseDurationMs(conbus.quiet_ms, { name: where("quiet_ms"), unit: "ms" }),
    minGapMs: conbus.min_gap_ms === undefined ? undefined : parseDurationMs(conbus.min_gap_ms, {
      name: where("min_gap_ms"),
      unit: "ms",
      allowZero: true,
    }),
  };
}

function xpLayer(path: string, conbus: Record<string, unknown> | null): Layer {
  if (conbus === null) return {};
  const where = (key: string) => `${path}: conbus.${key}`;
  return {
    host: conbus.ip === undefined ? undefined : host(conbus.ip, where("ip")),
    port: conbus.port === undefined ? undefined : port(conbus.port, where("port")),
    timeoutMs: conbus.timeout === undefined
      ? undefined
      : xpTimeoutMs(parseDurationMs(conbus.timeout, { name: where("timeout"), unit: "s" })),
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
function xpTimeoutMs(ms: number): number {
  return Math.max(CONBUS_DEFAULTS.timeoutMs, Math.round(ms));
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

function show(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value) ?? String(value);
}
