import { join } from "node:path";
import { type CompositorChoice, findCompositorSocket } from "../compositor/compositor_socket.ts";
import {
  COMPOSITOR_KINDS,
  type CompositorKind,
  compositorNames,
} from "../compositor/compositors.ts";
import { FOCUS_SOURCES } from "../compositor/focus_sources.ts";
import { KittyRegistry } from "../kitty/registry.ts";
import { ConfigError } from "../platform/config_error.ts";
import type { Logger } from "../platform/logger.ts";
import { type Environment, tetherRuntimeDir } from "../platform/paths.ts";
import { isProcessAlive, readStartTimeMs } from "../platform/proc.ts";
import { prepareTetherRuntimeDir } from "../platform/runtime_dir.ts";
import { type Clock, systemClock } from "../resilience/clock.ts";
import { repeatEvery } from "../resilience/repeat.ts";
import { type ControlServer, serveControlSocket } from "../resilience/control_socket.ts";
import { ConnectionError, type ErrorJson, errorJson } from "../resilience/errors.ts";
import { STOPPED_REASON, type SupervisorState } from "../resilience/supervisor.ts";
import { supervisorStatusToJson } from "../resilience/supervisor_status.ts";
import type { DaemonStatus } from "../resilience/daemon_status.ts";
import { isoTimestamp, roundMs } from "../platform/time_format.ts";
import type { KittyStatus } from "../kitty/kitty_instance_state.ts";
import type { FocusedWindow } from "../compositor/focus_source.ts";
import { readEnlargedRecord, writeEnlargedRecord } from "./enlarged_record.ts";
import { resolveKittyPid } from "./kitty_pid.ts";
import { keepJitIdle, memoryReport, startMemoryRelease } from "../platform/runtime_memory.ts";
import { shutDownWithin } from "./shutdown.ts";
import { OsWindowLocator } from "./os_window_locator.ts";
import type { FocusActionLine } from "./focus_action_line.ts";
import { FocusTracker } from "./tracker.ts";
import type { FocusSettings } from "./focus_config.ts";

/** A connection change of `tether focus` (one JSON line each; see README "Output"). */
export type FocusConnectionLine =
  | {
    ts: string;
    event: "status_changed";
    compositor: CompositorKind;
    from: SupervisorState;
    to: SupervisorState;
    error: ErrorJson | null;
  }
  | {
    ts: string;
    event: "status_changed";
    kitty_pid: number;
    from: KittyStatus;
    to: KittyStatus;
    error: ErrorJson | null;
  }
  | {
    ts: string;
    event: "reconnect_attempt";
    compositor: CompositorKind;
    attempt: number;
    max_attempts: number | null;
    next_retry_ms: number | null;
    error: ErrorJson;
  };

/** Everything `tether focus` reports while it runs: actions and connection changes. */
export type FocusLine = FocusActionLine | FocusConnectionLine;

/**
 * What `tether focus` runs with: its resolved settings ({@link FocusSettings}; without
 * `--exclude-title` nothing is excluded) and its surroundings.
 */
export interface FocusDaemonOptions extends Omit<FocusSettings, "excludeTitles"> {
  /** `--exclude-title` patterns: windows whose title matches are never resized. */
  excludeTitles?: readonly RegExp[];
  /** Environment (runtime dir, compositor variables, config home). */
  env: Environment;
  /** Receives every action and connection change (the CLI renders them). */
  emit: (line: FocusLine) => void;
  /** Logs to stderr. */
  logger: Logger;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Default {@link systemClock}. */
  clock?: Clock;
  /**
   * `--wait` (or running under systemd): with `--compositor auto` and no compositor yet, wait
   * for one (one log line, then a silent check every {@link COMPOSITOR_POLL_MS}) instead of
   * failing with a configuration error.
   */
  waitForCompositor?: boolean;
}

/** How often `tether focus --wait` looks for a compositor socket while none is there. */
export const COMPOSITOR_POLL_MS = 1000;

/** Time allowed for shrinking back and closing on SIGINT/SIGTERM (the process exits by 2 s). */
const SHUTDOWN_BUDGET_MS = 1500;

/** Where `tether focus` serves its control socket. */
export function focusControlSocketPath(env: Environment): string {
  return join(tetherRuntimeDir(env), "focus.sock");
}

/** Where `tether focus` remembers the kitties it enlarged (crash repair). */
export function enlargedRecordPath(env: Environment): string {
  return join(tetherRuntimeDir(env), "focus-enlarged.json");
}

/**
 * Runs `tether focus` until `signal` aborts: follows the compositor's focus, grows the focused
 * kitty and shrinks the one that lost focus, prints one JSON line per action and per connection
 * event (compositor `status_changed` / `reconnect_attempt`, kitty `status_changed`), serves
 * `status` and `reconnect` on the control socket, and on shutdown shrinks the enlarged kitty
 * back and closes every connection within {@link SHUTDOWN_BUDGET_MS}, even if a step hangs.
 */
export async function runFocusDaemon(options: FocusDaemonOptions): Promise<void> {
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const { env, logger } = options;
  if (keepJitIdle()) logger.debug("focus: JIT tier-up off (the tracker idles between events)");
  // The runtime dir and its tether/ checked as cleanup checks them, before anything exists.
  prepareTetherRuntimeDir(env, process.getuid!());
  const controlPath = focusControlSocketPath(env);
  const recordPath = enlargedRecordPath(env);
  const kind = options.waitForCompositor && options.compositor === "auto"
    ? await waitForCompositor(env, options, clock)
    : await chooseCompositor(options.compositor, env, options.socketTimeoutMs);
  if (kind === null) return; // stopped while waiting
  const ts = () => isoTimestamp(clock.now());

  const registry = new KittyRegistry({
    env,
    passwordFile: options.passwordFile,
    socketTimeoutMs: options.socketTimeoutMs,
    maxAttempts: options.maxAttempts,
    maxConnections: options.maxConnections,
    idleTimeoutMs: options.idleTimeoutMs,
    reapIntervalMs: options.reapIntervalMs,
    clock,
  });
  const locator = new OsWindowLocator({
    listOsWindows: (pid) => registry.listWindows(pid),
    candidatePids: () => registry.socketPids(),
    resolvePid: (pid) => resolveKittyPid(pid),
    clock,
  });
  const tracker = new FocusTracker({
    appIds: options.appIds,
    deltaPt: options.deltaPt,
    kitty: registry,
    locator,
    excludeTitles: options.excludeTitles,
    emit: options.emit,
    resolvePid: (pid) => resolveKittyPid(pid),
    isAlive: isProcessAlive,
    startTimeMs: (pid) => readStartTimeMs(pid),
    saveRecord: (enlarged) => writeEnlargedRecord(recordPath, enlarged),
    checkInBackground: (pid) => registry.checkInBackground(pid),
    clock,
  });
  await tracker.restore(await readEnlargedRecord(recordPath));

  const sourceOptions = {
    env,
    timeoutMs: options.socketTimeoutMs,
    clock,
    onTransition: tracker.onTransition.bind(tracker),
    onWindowOpened: tracker.onWindowOpened.bind(tracker),
    onProblem: (problem: ConnectionError) =>
      logger.warn(`${kind}: skipped an unusable event: ${problem.message}`),
  };
  const source = FOCUS_SOURCES[kind](sourceOptions);
  source.supervisor.events.on("status_changed", (event) => {
    const lastError = source.supervisor.snapshot().lastError;
    options.emit({
      ts: ts(),
      event: "status_changed",
      compositor: kind,
      from: event.from,
      to: event.to,
      error: event.to === "connected" || event.reason === null || event.reason === STOPPED_REASON
        ? null
        : { category: lastError?.category ?? "closed", message: event.reason },
    });
    if (event.to === "connected") logger.info(`${kind}: connected to ${source.socketPath()}`);
  });
  registry.events.on("status_changed", (event) => {
    options.emit({
      ts: ts(),
      event: "status_changed",
      kitty_pid: event.pid,
      from: event.previous,
      to: event.status,
      error: event.reason === null
        ? null
        : { category: event.category ?? "not_configured", message: event.reason },
    });
  });
  source.supervisor.events.on("reconnect_attempt", (event) => {
    options.emit({
      ts: ts(),
      event: "reconnect_attempt",
      compositor: kind,
      attempt: event.attempt,
      max_attempts: event.maxAttempts === 0 ? null : event.maxAttempts,
      next_retry_ms: event.nextRetryMs === null ? null : roundMs(event.nextRetryMs),
      error: errorJson(event.error),
    });
  });

  // The shared daemon status; the compositor link adds which compositor and its socket.
  const focusDaemonStatus = (): DaemonStatus => {
    const snapshot = source.supervisor.snapshot();
    const connection = {
      compositor: kind,
      socket_path: source.socketPath(),
      ...supervisorStatusToJson(snapshot),
    };
    return {
      daemon: "focus",
      pid: process.pid,
      uptime_ms: Math.round(clock.now() - startedAt),
      reconnection_count: snapshot.reconnectionCount,
      connection,
    };
  };
  let control: ControlServer | null = null;
  try {
    control = await serveControlSocket(controlPath, {
      status: () => ({
        ...focusDaemonStatus(),
        focused: focusedJson(source.current()),
        settings: {
          app_ids: [...options.appIds],
          font_delta: options.deltaPt,
          exclude_titles: (options.excludeTitles ?? []).map((pattern) => pattern.source),
        },
        kitties: kittyStatus(registry, tracker, isProcessAlive),
        os_windows: tracker.osWindows().filter((window) => isProcessAlive(window.pid)),
      }),
      pin: async () => {
        const pinned = await tracker.pin();
        if (pinned === null) {
          throw new ConnectionError(
            "not_configured",
            "no kitty OS window has focus: nothing to pin",
          );
        }
        return { pinned };
      },
      unpin: async () => ({ unpinned: await tracker.unpin() }),
      reconnect: () => {
        source.reconnectNow();
        return { reconnecting: kind };
      },
      memory: (request) => memoryReport(request.gc !== false),
    });
  } catch (error) {
    await source.close();
    await registry.close();
    throw error;
  }

  // A request flood leaves garbage an idle tracker would never collect (README "Reliability").
  const stopMemoryRelease = startMemoryRelease((tick, intervalMs) =>
    repeatEvery(clock, intervalMs, tick, { unref: true })
  );
  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener("abort", () => resolve(), { once: true });
  });

  // Shutdown: stop following focus, shrink back, close everything — within the budget, even
  // if a step hangs (the process exits right after).
  const server = control;
  stopMemoryRelease();
  const problems = await shutDownWithin(SHUTDOWN_BUDGET_MS, [
    { name: "compositor connection", run: () => source.close() },
    // The last 100 ms are kept for closing connections and the control socket.
    { name: "shrink back", run: (remainingMs) => tracker.shutdown(Math.max(0, remainingMs - 100)) },
    { name: "kitty connections", run: () => registry.close() },
    { name: "control socket", run: () => server.close() },
  ], clock);
  for (const problem of problems) logger.warn(`focus: shutdown: ${problem}`);
  logger.info("focus: stopped");
}

async function chooseCompositor(
  choice: CompositorChoice,
  env: Environment,
  timeoutMs: number,
): Promise<CompositorKind> {
  if (choice !== "auto") return choice;
  try {
    return (await findCompositorSocket("auto", env, { timeoutMs })).kind;
  } catch (error) {
    if (error instanceof ConnectionError) {
      throw new ConfigError(
        `${error.message}; or name it with --compositor ${
          COMPOSITOR_KINDS.join("|")
        } (tether then waits for it)`,
      );
    }
    throw error;
  }
}

/** Polls for a live compositor socket (any compositor of compositors.ts) until one answers (its kind) or `signal` aborts (null). */
async function waitForCompositor(
  env: Environment,
  options: Pick<FocusDaemonOptions, "socketTimeoutMs" | "logger" | "signal">,
  clock: Clock,
): Promise<CompositorKind | null> {
  let logged = false;
  while (!options.signal.aborted) {
    try {
      return (await findCompositorSocket("auto", env, { timeoutMs: options.socketTimeoutMs })).kind;
    } catch (error) {
      if (!(error instanceof ConnectionError)) throw error;
      if (!logged) {
        options.logger.warn(
          `focus: no compositor yet (${error.message}); waiting for ${compositorNames("or")}`,
        );
        logged = true;
      }
    }
    await clock.sleep(COMPOSITOR_POLL_MS, options.signal).catch(() => {});
  }
  return null;
}

/** The focused window in the JSON vocabulary (snake_case), or null. */
function focusedJson(
  focused: FocusedWindow | null,
): { window_id: number; pid: number | null; app_id: string | null } | null {
  if (focused === null) return null;
  return { window_id: focused.windowId, pid: focused.pid, app_id: focused.appId };
}

/**
 * One row per kitty process whose process still runs (connection status) with its OS windows;
 * a kitty that died (its compositor was killed, its last window closed) leaves the status at
 * once. The enlarged points and focus of a kitty are those of its OS windows (at most one is
 * enlarged outside a pin).
 */
function kittyStatus(
  registry: KittyRegistry,
  tracker: FocusTracker,
  isAlive: (pid: number) => boolean,
): unknown[] {
  const windows = tracker.osWindows().filter((window) => isAlive(window.pid));
  const byPid = new Map<number, typeof windows>();
  for (const window of windows) byPid.set(window.pid, [...(byPid.get(window.pid) ?? []), window]);
  const summary = (pid: number) => {
    const own = byPid.get(pid) ?? [];
    byPid.delete(pid);
    return {
      enlarged_pt: Math.max(0, ...own.map((window) => window.enlarged_pt)),
      focused: own.some((window) => window.focused),
      os_windows: own,
    };
  };
  const rows: unknown[] = registry.snapshot().filter((kitty) => isAlive(kitty.pid))
    .map((kitty) => ({ ...kitty, ...summary(kitty.pid) }));
  for (const pid of [...byPid.keys()]) {
    rows.push({ pid, status: "unknown", error: null, ...summary(pid) });
  }
  return rows;
}
