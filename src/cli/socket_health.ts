import { Command } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import { ConfigError } from "../platform/config_error.ts";
import { type Environment, runtimeDir } from "../platform/paths.ts";
import { systemClock } from "../resilience/clock.ts";
import { discoverSockets, entryForPath } from "../sockets/discovery.ts";
import { allHealthy, type HealthRow } from "../sockets/health.ts";
import { checkHealth } from "../sockets/health_check.ts";
import { diffHealth, type WatchedSocket } from "../sockets/health_watch.ts";
import { readFileFacts } from "../sockets/file_facts.ts";
import { verifyRuntimeDir } from "../sockets/runtime_dir.ts";
import type { SocketEntry, SocketKind } from "../sockets/socket_entry.ts";
import { colourEnabled } from "./context.ts";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { renderLiveLine, renderTable } from "./socket_health_render.ts";
import { parseIntervalSeconds, parseKind, parseTimeoutSeconds } from "./socket_flags.ts";

/**
 * `tether socket-health`: discovers the user's IPC sockets and probes them in parallel, each
 * with its own deadline. Exit 0 when all are healthy, 1 otherwise, 2 for usage errors.
 * `--watch` re-probes every `--interval` seconds until SIGINT/SIGTERM.
 */
export function socketHealthCommand(context: CliContext): Command {
  return new Command("socket-health")
    .description(
      "probe sway, i3, niri, kitty and tether sockets: healthy, unresponsive, stale or missing",
    )
    .option("--timeout <seconds>", "deadline per socket", "1")
    .option("--kind <kind>", "only sockets of this kind: sway, i3, niri, kitty, tether")
    .option("--path <socket>", "probe only this socket")
    .option("--watch", "re-probe forever; live lines on a terminal, JSON lines otherwise", false)
    .option("--interval <seconds>", "seconds between --watch rounds", "30")
    .action(async (options) => {
      const timeoutMs = parseTimeoutSeconds(options.timeout);
      const intervalMs = parseIntervalSeconds(options.interval);
      const kind = options.kind === undefined ? undefined : parseKind(options.kind);
      const uid = process.getuid!();
      const discover = async (): Promise<SocketEntry[]> => {
        if (options.path !== undefined) return [pathEntry(options.path, kind, context.env)];
        const dir = runtimeDir(context.env);
        verifyRuntimeDir(dir, uid);
        const found = await discoverSockets({ runtimeDir: dir, env: context.env, uid });
        return found.entries.filter((entry) => kind === undefined || entry.kind === kind);
      };
      const probeAll = async () => {
        const started = performance.now();
        const entries = await discover();
        const rows = await checkHealth(entries, { timeoutMs });
        context.logger().debug(
          `probed ${rows.length} sockets in ${(performance.now() - started).toFixed(1)} ms`,
        );
        return rows;
      };
      if (!options.watch) {
        const rows = await probeAll();
        if (context.globals().json) context.stdout(JSON.stringify({ sockets: rows }) + "\n");
        else context.stdout(renderTable(rows));
        context.setExitCode(allHealthy(rows) ? ExitCode.ok : ExitCode.failed);
        return;
      }
      await watch(context, probeAll, intervalMs);
    });
}

async function watch(
  context: CliContext,
  probeAll: () => Promise<HealthRow[]>,
  intervalMs: number,
): Promise<void> {
  const signal = context.shutdownSignal;
  const live = context.stdoutIsTty && !context.globals().json;
  const colour = colourEnabled(context);
  let state = new Map<string, WatchedSocket>();
  let linesShown = 0;
  let healthy = true;
  while (!signal.aborted) {
    const rows = await probeAll();
    healthy = allHealthy(rows);
    if (live) {
      // Redraw in place: cursor up over the previous round, clear to the end of the screen.
      const redraw = linesShown > 0 ? `\x1b[${linesShown}F\x1b[J` : "";
      const body = rows.length === 0
        ? ["no IPC sockets found"]
        : rows.map((row) => renderLiveLine(row, colour));
      context.stdout(redraw + body.join("\n") + "\n");
      linesShown = body.length;
    } else {
      const diff = diffHealth(state, rows, new Date().toISOString());
      state = diff.state;
      for (const event of diff.events) context.stdout(JSON.stringify(event) + "\n");
    }
    await systemClock.sleep(intervalMs, signal).catch(() => {});
  }
  context.setExitCode(healthy ? ExitCode.ok : ExitCode.failed);
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
