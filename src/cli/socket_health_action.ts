import { resolve } from "node:path";
import { ConfigError } from "../platform/config_error.ts";
import { type Environment, runtimeDir } from "../platform/paths.ts";
import { systemClock } from "../resilience/clock.ts";
import { discoverSockets, entryForPath } from "../sockets/discovery.ts";
import { allHealthy, type HealthRow } from "../sockets/health.ts";
import { checkHealth } from "../sockets/health_check.ts";
import { diffHealth, type WatchedSocket } from "../sockets/health_watch.ts";
import { readFileFacts } from "../sockets/file_facts.ts";
import { verifyRuntimeDir } from "../platform/runtime_dir.ts";
import type { SocketEntry, SocketKind } from "../sockets/socket_entry.ts";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { modeFor, type OutputFormat, terminalStyle } from "./output_mode.ts";
import { renderTable } from "./socket_health_render.ts";
import { plainWatchView, terminalWatchView, type WatchView } from "./socket_health_watch.ts";
import { healthWaybarLine, waybarChangeKey } from "./socket_health_waybar.ts";
import { waybarJson } from "./waybar.ts";
import { type DebouncedSocket, debounceHealth } from "../sockets/health_debounce.ts";
import { isoTimestamp } from "../platform/time_format.ts";
import { parseIntervalSeconds, parseKind, parseTimeoutSeconds } from "./socket_flags.ts";

/** `tether socket-health`'s flags as commander parsed them (declared in socket_health.ts). */
export interface SocketHealthOptions {
  /**
   * Deadline per socket, as typed (`1s`, `500ms`).
   *
   * @default {"1s"}
   */
  timeout: string;
  /** Only sockets of this kind (checked by parseKind); absent: every kind. */
  kind?: string;
  /** Probe only this socket; absent: every socket discovered in the runtime dir. */
  path?: string;
  /**
   * Re-probe every `interval` until SIGINT/SIGTERM.
   *
   * @default {false}
   */
  watch: boolean;
  /**
   * Time between `--watch` rounds, as typed.
   *
   * @default {"30s"}
   */
  interval: string;
  /** `human`, `json` or `waybar`; absent: the output rule decides (output_mode.ts). */
  format?: string;
  /**
   * Waybar: a socket is down after this many failed probes in a row, as typed.
   *
   * @default {"3"}
   */
  failAfter: string;
}

/** Runs `tether socket-health`: loaded only when that subcommand runs. */
export async function socketHealthAction(
  context: CliContext,
  options: SocketHealthOptions,
): Promise<void> {
  const timeoutMs = parseTimeoutSeconds(options.timeout);
  const intervalMs = parseIntervalSeconds(options.interval);
  const failAfter = parseFailAfter(options.failAfter);
  const kind = options.kind === undefined ? undefined : parseKind(options.kind);
  const mode = modeFor(context, {
    stream: options.watch,
    format: options.format as OutputFormat | undefined,
  });
  const uid = process.getuid!();
  const discover = async (): Promise<SocketEntry[]> => {
    if (options.path !== undefined) return [pathEntry(options.path, kind, context.env)];
    const dir = verifyRuntimeDir(runtimeDir(context.env), uid);
    const found = await discoverSockets({ runtimeDir: dir, env: context.env, uid });
    return found.entries.filter((entry) => kind === undefined || entry.kind === kind);
  };
  // One round: discover, then probe in parallel; the debug line times both.
  const round = async (view: WatchView | null): Promise<HealthRow[]> => {
    const started = performance.now();
    const entries = await discover();
    view?.roundStarted(entries, new Date());
    const rows = await checkHealth(entries, { timeoutMs, onRow: view?.rowArrived });
    context.logger().debug(
      `discovered and probed ${rows.length} sockets in ${
        (performance.now() - started).toFixed(1)
      } ms`,
    );
    view?.roundEnded(rows);
    return rows;
  };
  if (!options.watch) {
    const rows = await round(null);
    if (mode === "waybar") {
      const sockets = [...debounceHealth(new Map(), rows, 1).values()];
      context.stdout(waybarJson(healthWaybarLine(sockets)) + "\n");
      return; // Waybar hides a module whose command exits non-zero: the state is in `class`.
    }
    if (mode === "json") context.stdout(JSON.stringify({ sockets: rows }) + "\n");
    else context.stdout(renderTable(rows));
    context.setExitCode(allHealthy(rows) ? ExitCode.ok : ExitCode.failed);
    return;
  }
  const view = mode === "human" ? watchView(context, intervalMs) : null;
  let state = new Map<string, WatchedSocket>();
  let debounced = new Map<string, DebouncedSocket>();
  let lastBarKey: string | null = null;
  let healthy = true;
  try {
    while (!context.shutdownSignal.aborted) {
      const rows = await round(view);
      healthy = allHealthy(rows);
      if (mode === "json_lines") {
        const diff = diffHealth(state, rows, isoTimestamp(new Date()));
        state = diff.state;
        for (const event of diff.events) context.stdout(JSON.stringify(event) + "\n");
      } else if (mode === "waybar") {
        debounced = debounceHealth(debounced, rows, failAfter);
        const sockets = [...debounced.values()];
        const key = waybarChangeKey(sockets);
        if (key !== lastBarKey) context.stdout(waybarJson(healthWaybarLine(sockets)) + "\n");
        lastBarKey = key;
      }
      await systemClock.sleep(intervalMs, context.shutdownSignal).catch(() => {});
    }
  } finally {
    view?.close();
  }
  context.setExitCode(healthy ? ExitCode.ok : ExitCode.failed);
}

/**
 * The human `--watch` view: redrawn in place on a terminal that takes colours and cursor
 * movement; plain appended lines on one that does not (`TERM=dumb`, `NO_COLOR`).
 */
function watchView(context: CliContext, intervalMs: number): WatchView {
  const baseDir = context.env.XDG_RUNTIME_DIR || null;
  const options = { write: context.stdout, intervalMs, baseDir };
  const style = terminalStyle(context.env, context.stdoutIsTty);
  if (!style.cursor) return plainWatchView(options);
  return terminalWatchView({
    ...options,
    size: () => context.terminalSize?.() ?? null,
    onResize: context.onTerminalResize,
  });
}

function parseFailAfter(value: string): number {
  const probes = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(probes) || probes < 1 || probes > 100) {
    throw new ConfigError(`--fail-after must be a whole number from 1 to 100, got "${value}"`);
  }
  return probes;
}

/**
 * The entry for `--path`: kind from `--kind`, else from the file name. A path that does not
 * exist is a `missing` row when its kind is known; otherwise a usage error saying both facts.
 */
function pathEntry(path: string, kind: SocketKind | undefined, env: Environment): SocketEntry {
  const entry = entryForPath(path, env, kind);
  if (entry === null) {
    const hint = "pass --kind sway|i3|niri|kitty|tether";
    throw new ConfigError(
      readFileFacts(resolve(path)) === null
        ? `${path} does not exist, and its name does not say which program's socket it would be; ${hint}`
        : `cannot tell which program ${path} belongs to from its name; ${hint}`,
    );
  }
  return entry;
}
