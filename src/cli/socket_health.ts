import { Command, Option } from "@commander-js/extra-typings";
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
import { SOCKET_KINDS, type SocketEntry, type SocketKind } from "../sockets/socket_entry.ts";
import { colourEnabled } from "./context.ts";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { type LiveSocket, renderLiveBlock, renderTable } from "./socket_health_render.ts";
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
    .option("--timeout <duration>", "deadline per socket", "1s")
    .addOption(
      // choices() lists them in --help and completions; parseKind gives tether's own message.
      new Option("--kind <kind>", "only sockets of this kind").choices(SOCKET_KINDS)
        .argParser((value) => value),
    )
    .option("--path <socket>", "probe only this socket")
    .option("--watch", "re-probe forever; live lines on a terminal, JSON lines otherwise", false)
    .option("--interval <duration>", "time between --watch rounds", "30s")
    .action(async (options) => {
      const timeoutMs = parseTimeoutSeconds(options.timeout);
      const intervalMs = parseIntervalSeconds(options.interval);
      const kind = options.kind === undefined ? undefined : parseKind(options.kind);
      const uid = process.getuid!();
      const discover = async (): Promise<SocketEntry[]> => {
        if (options.path !== undefined) return [pathEntry(options.path, kind, context.env)];
        const dir = verifyRuntimeDir(runtimeDir(context.env), uid);
        const found = await discoverSockets({ runtimeDir: dir, env: context.env, uid });
        return found.entries.filter((entry) => kind === undefined || entry.kind === kind);
      };
      // One round: discover, then probe in parallel; the debug line times both.
      const round = async (view: LiveView | null): Promise<HealthRow[]> => {
        const started = performance.now();
        const entries = await discover();
        view?.roundStarted(entries);
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
        if (context.globals().json) context.stdout(JSON.stringify({ sockets: rows }) + "\n");
        else context.stdout(renderTable(rows));
        context.setExitCode(allHealthy(rows) ? ExitCode.ok : ExitCode.failed);
        return;
      }
      const view = liveView(context);
      let state = new Map<string, WatchedSocket>();
      let healthy = true;
      while (!context.shutdownSignal.aborted) {
        const rows = await round(view);
        healthy = allHealthy(rows);
        if (view === null) {
          const diff = diffHealth(state, rows, new Date().toISOString());
          state = diff.state;
          for (const event of diff.events) context.stdout(JSON.stringify(event) + "\n");
        }
        await systemClock.sleep(intervalMs, context.shutdownSignal).catch(() => {});
      }
      context.setExitCode(healthy ? ExitCode.ok : ExitCode.failed);
    });
}

/** What `--watch` draws on a terminal; each method writes to stdout. */
interface LiveView {
  /** A round begins: sockets without a result yet show grey. */
  roundStarted(entries: readonly SocketEntry[]): void;
  /** One socket's result arrived (index into the round's entries). */
  rowArrived(index: number, row: HealthRow): void;
  /** Every result of the round is in. */
  roundEnded(rows: readonly HealthRow[]): void;
}

/**
 * The live view for `--watch` on a terminal (null otherwise, or with `--json`: JSON lines).
 * With colour, the block of lines is redrawn in place as each result arrives, every socket
 * grey (`unknown`) until its first result, later keeping its last result until the next one.
 * Without colour (`NO_COLOR`) no escape code at all is written, so nothing can be redrawn:
 * each round appends its finished block, followed by an empty line.
 */
function liveView(context: CliContext): LiveView | null {
  if (!context.stdoutIsTty || context.globals().json) return null;
  if (!colourEnabled(context)) {
    return {
      roundStarted: () => {},
      rowArrived: () => {},
      roundEnded: (rows) =>
        context.stdout(
          renderLiveBlock(
            rows.map((row) => ({ kind: row.kind, socket_path: row.socket_path, row })),
            false,
          ) + "\n",
        ),
    };
  }
  const latest = new Map<string, HealthRow>();
  let shown: LiveSocket[] = [];
  let linesShown = 0;
  const draw = () => {
    // Cursor up to the first line of the previous block, clear to the end of the screen.
    const redraw = linesShown > 0 ? `\x1b[${linesShown}F\x1b[J` : "";
    const block = renderLiveBlock(shown, true);
    context.stdout(redraw + block);
    linesShown = block.split("\n").length - 1;
  };
  return {
    roundStarted: (entries) => {
      shown = entries.map((entry) => ({
        kind: entry.kind,
        socket_path: entry.path,
        row: latest.get(entry.path) ?? null,
      }));
      draw();
    },
    rowArrived: (index, row) => {
      latest.set(row.socket_path, row);
      shown[index] = { ...shown[index]!, row };
      draw();
    },
    roundEnded: () => {},
  };
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
