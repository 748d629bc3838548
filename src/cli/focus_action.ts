import { focusControlSocketPath, runFocusDaemon } from "../focus/daemon.ts";
import { resolveFocusSettings } from "../focus/focus_config.ts";
import { loadTetherConfig, tetherConfigPath } from "../platform/config.ts";
import { stdoutIsJournal } from "../platform/journal_stream.ts";
import { ControlReplyError } from "../resilience/control_protocol.ts";
import { requestControl } from "../resilience/control_socket.ts";
import { parseDaemonStatus } from "../resilience/daemon_status.ts";
import { ConnectionError } from "../resilience/errors.ts";
import { errorJson } from "../resilience/errors.ts";
import type { CliContext } from "./context.ts";
import type { OsWindowView } from "../focus/focus_state.ts";
import { ExitCode } from "./exit_codes.ts";
import {
  describeOsWindow,
  type FocusStatus,
  focusWaybarLine,
  renderFocusLine,
  renderFocusStatus,
} from "./focus_render.ts";
import { isJsonMode, modeFor, type OutputFormat } from "./output_mode.ts";
import { waybarJson } from "./waybar.ts";

/** `tether focus`'s flags as commander parsed them (declared in focus.ts). */
export interface FocusOptions {
  /** `auto`, `niri`, `sway` or `i3`; absent: config.yml, else the default (focus_config.ts). */
  compositor?: string;
  /** App ids of kitty windows (repeatable); empty: config.yml, else the default. */
  appId: string[];
  /** Points to grow the focused kitty by, as typed; absent: config.yml, else the default. */
  fontDelta?: string;
  /** Connect/reply timeout per attempt, as typed; absent: config.yml, else the default. */
  socketTimeout?: string;
  /** Attempts per kitty command, as typed; absent: config.yml, else the default. */
  maxRetries?: string;
  /** Pooled kitty connections in total, as typed; absent: config.yml, else the default. */
  maxConnections?: string;
  /** Close pooled kitty connections idle this long; absent: config.yml, else the default. */
  idleTimeout?: string;
  /** How often idle connections are reaped; absent: config.yml, else the default. */
  reapInterval?: string;
  /** kitty remote-control password file; absent: config.yml, else the default. */
  passwordFile?: string;
  /** Title patterns never resized (repeatable); empty: config.yml's, else none. */
  excludeTitle: string[];
  /**
   * With no compositor yet, wait for one (always under systemd).
   *
   * @default {false}
   */
  wait: boolean;
}

/** `tether focus status`'s flags as commander parsed them (declared in focus.ts). */
export interface FocusStatusOptions {
  /** `human`, `json` or `waybar`; absent: the output rule decides (output_mode.ts). */
  format?: string;
}

/** Runs the tracker (`tether focus`) until SIGINT/SIGTERM: loaded only when focus runs. */
export async function focusAction(context: CliContext, options: FocusOptions): Promise<void> {
  // Under systemd the JSON lines would fill the journal, one per focus change: they become
  // debug log lines there (shown with --log-level debug).
  const toJournal = stdoutIsJournal(context.env);
  const config = await loadTetherConfig(context.env);
  const settings = resolveFocusSettings(
    {
      compositor: options.compositor,
      app_ids: options.appId.length > 0 ? options.appId : undefined,
      font_delta: options.fontDelta,
      socket_timeout: options.socketTimeout,
      max_retries: options.maxRetries,
      max_connections: options.maxConnections,
      idle_timeout: options.idleTimeout,
      reap_interval: options.reapInterval,
      password_file: options.passwordFile,
      exclude_titles: options.excludeTitle.length > 0 ? options.excludeTitle : undefined,
    },
    {
      env: context.env,
      section: config?.sections.focus ?? null,
      configPath: config?.path ?? tetherConfigPath(context.env),
    },
  );
  const mode = modeFor(context, { stream: true });
  await runFocusDaemon({
    ...settings,
    env: context.env,
    emit: toJournal
      ? (line) => context.logger().debug(JSON.stringify(line))
      : (line) =>
        context.stdout(
          (mode === "human" ? renderFocusLine(line) : JSON.stringify(line)) + "\n",
        ),
    logger: context.logger(),
    signal: context.shutdownSignal,
    waitForCompositor: options.wait || Boolean(context.env.INVOCATION_ID),
  });
  context.setExitCode(ExitCode.ok);
}

/** `tether focus status`: asks the running tracker and prints its answer. */
export async function focusStatusAction(
  context: CliContext,
  options: FocusStatusOptions,
): Promise<void> {
  const mode = modeFor(context, {
    stream: false,
    format: options.format as OutputFormat | undefined,
  });
  let data: FocusStatus;
  try {
    const reply = await askTracker(context, "status");
    try {
      data = parseDaemonStatus(reply) as FocusStatus;
    } catch {
      throw fromAnotherVersion(reply);
    }
  } catch (error) {
    if (!(error instanceof ConnectionError)) throw error;
    // A bar must show "off" rather than vanish (Waybar hides a module that exits non-zero).
    if (mode === "waybar") {
      context.stdout(waybarJson(focusWaybarLine(null, error.message)) + "\n");
      return;
    }
    if (isJsonMode(mode)) {
      context.stdout(JSON.stringify({ running: false, error: errorJson(error) }) + "\n");
    }
    throw error;
  }
  if (isJsonMode(mode)) {
    context.stdout(JSON.stringify({ running: true, ...data }) + "\n");
    return;
  }
  let text: string;
  try {
    text = mode === "waybar"
      ? waybarJson(focusWaybarLine(data, null)) + "\n"
      : renderFocusStatus(data);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const skew = fromAnotherVersion(data);
    if (mode !== "waybar") throw skew;
    text = waybarJson(focusWaybarLine(null, skew.message)) + "\n";
  }
  context.stdout(text);
}

/** `tether focus pin`: the running tracker leaves the focused OS window as it is. */
export async function focusPinAction(context: CliContext): Promise<void> {
  const data = await askTracker(context, "pin") as { pinned: OsWindowView };
  if (modeFor(context, { stream: false }) === "json") {
    context.stdout(JSON.stringify(data) + "\n");
  } else context.stdout(`tether focus: pinned ${describeOsWindow(data.pinned)}\n`);
}

/** `tether focus unpin`: the running tracker unpins every OS window. */
export async function focusUnpinAction(context: CliContext): Promise<void> {
  const data = await askTracker(context, "unpin") as { unpinned: OsWindowView[] };
  if (modeFor(context, { stream: false }) === "json") {
    context.stdout(JSON.stringify(data) + "\n");
  } else {
    context.stdout(
      data.unpinned.length === 0
        ? "tether focus: nothing was pinned\n"
        : data.unpinned.map((row) => `tether focus: unpinned ${describeOsWindow(row)}\n`)
          .join(""),
    );
  }
}

/** `tether focus reconnect`: the running tracker reconnects to the compositor now. */
export async function focusReconnectAction(context: CliContext): Promise<void> {
  const json = modeFor(context, { stream: false }) === "json";
  try {
    await askTracker(context, "reconnect");
  } catch (error) {
    if (json && error instanceof ConnectionError) {
      context.stdout(
        JSON.stringify({ reconnecting: false, error: errorJson(error) }) + "\n",
      );
    }
    throw error;
  }
  if (json) context.stdout(JSON.stringify({ reconnecting: true, error: null }) + "\n");
  else context.stdout("tether focus: reconnecting to the compositor\n");
}

/**
 * A tracker started from an older (or newer) tether answers in its own shape, e.g. after an
 * install while it ran: say so instead of an "unexpected error".
 */
function fromAnotherVersion(reply: unknown): ConnectionError {
  const pid = (reply as { pid?: unknown } | null)?.pid ?? "?";
  return new ConnectionError(
    "protocol",
    `the running tracker (pid ${pid}) is from another tether version; restart it (systemctl --user restart tether-focus.service)`,
  );
}

async function askTracker(context: CliContext, cmd: string): Promise<unknown> {
  const path = focusControlSocketPath(context.env);
  try {
    return await requestControl(path, cmd, { timeoutMs: 2000 });
  } catch (error) {
    if (
      error instanceof ConnectionError && !(error instanceof ControlReplyError) &&
      (error.category === "not_configured" || error.category === "refused")
    ) {
      throw new ConnectionError(
        error.category,
        `no tether focus is running (nothing answers on ${path}); start it with \`tether focus\``,
      );
    }
    throw error;
  }
}
