import { Command, Option } from "@commander-js/extra-typings";
import { focusControlSocketPath, runFocusDaemon } from "../focus/daemon.ts";
import {
  COMPOSITOR_CHOICES,
  focusDefaultText,
  resolveFocusSettings,
} from "../focus/focus_config.ts";
import { loadTetherConfig, tetherConfigPath } from "../platform/config.ts";
import { stdoutIsJournal } from "../platform/journal_stream.ts";
import { requestControl } from "../resilience/control_socket.ts";
import { ConnectionError } from "../resilience/errors.ts";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";

/**
 * `tether focus`: the main job — kitty's font follows compositor focus (grow the focused kitty,
 * shrink the one that lost focus). `tether focus status [--json]` and `tether focus reconnect`
 * talk to the running tracker over its control socket. Exit 0 on a clean stop (SIGINT/SIGTERM),
 * 1 when the tracker is unreachable, 2 for usage/config errors.
 */
export function focusCommand(context: CliContext): Command {
  const focus = new Command("focus")
    .description(
      "grow the focused kitty OS window's font, shrink the one that lost focus (niri, sway, i3)",
    )
    .addOption(
      // choices() lists them in --help and completions; the parser keeps tether's own message
      // instead of commander's.
      new Option("--compositor <name>", withDefault("which compositor to follow", "compositor"))
        .choices(COMPOSITOR_CHOICES)
        .argParser((value) => value),
    )
    .option("--app-id <id>", withDefault("app id of kitty windows", "app_id"))
    .option(
      "--font-delta <points>",
      withDefault("points to grow the focused kitty by", "font_delta"),
    )
    .option(
      "--socket-timeout <duration>",
      withDefault("connect/reply timeout per attempt", "socket_timeout"),
    )
    .option(
      "--max-retries <n>",
      withDefault("attempts per kitty command (delays 0, 100, 200 ms)", "max_retries"),
    )
    .option(
      "--max-connections <n>",
      withDefault("pooled kitty connections in total (kitty >= 0.42.2)", "max_connections"),
    )
    .option(
      "--idle-timeout <duration>",
      withDefault("close pooled kitty connections idle this long", "idle_timeout"),
    )
    .option(
      "--reap-interval <duration>",
      withDefault("how often idle connections are reaped", "reap_interval"),
    )
    .option(
      "--password-file <path>",
      withDefault("kitty remote-control password", "password_file"),
    )
    .option(
      "--exclude-title <regex>",
      "never resize windows whose title matches (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--wait", "with no compositor yet, wait for one (always under systemd)", false)
    .action(async (options) => {
      // Under systemd the JSON lines would fill the journal, one per focus change: they become
      // debug log lines there (shown with --log-level debug).
      const toJournal = stdoutIsJournal(context.env);
      const config = await loadTetherConfig(context.env);
      const settings = resolveFocusSettings(
        {
          compositor: options.compositor,
          app_id: options.appId,
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
      await runFocusDaemon({
        ...settings,
        env: context.env,
        writeLine: toJournal
          ? (line) => context.logger().debug(line)
          : (line) => context.stdout(line + "\n"),
        logger: context.logger(),
        signal: context.shutdownSignal,
        waitForCompositor: options.wait || Boolean(context.env.INVOCATION_ID),
      });
      context.setExitCode(ExitCode.ok);
    });
  focus.addCommand(
    new Command("status")
      .description("show every known kitty and the compositor connection of the running tracker")
      .action(async () => {
        const data = await askTracker(context, "status") as FocusStatus;
        if (context.globals().json) context.stdout(JSON.stringify(data) + "\n");
        else context.stdout(renderStatus(data));
      }),
  );
  focus.addCommand(
    new Command("pin")
      .description("leave the focused kitty OS window as it is (enlarged or not) until unpin")
      .action(async () => {
        const data = await askTracker(context, "pin") as { pinned: OsWindowRow };
        if (context.globals().json) context.stdout(JSON.stringify(data) + "\n");
        else context.stdout(`tether focus: pinned ${describeOsWindow(data.pinned)}\n`);
      }),
  );
  focus.addCommand(
    new Command("unpin")
      .description("unpin every pinned OS window (each is brought in line with focus at once)")
      .action(async () => {
        const data = await askTracker(context, "unpin") as { unpinned: OsWindowRow[] };
        if (context.globals().json) context.stdout(JSON.stringify(data) + "\n");
        else {
          context.stdout(
            data.unpinned.length === 0
              ? "tether focus: nothing was pinned\n"
              : data.unpinned.map((row) => `tether focus: unpinned ${describeOsWindow(row)}\n`)
                .join(""),
          );
        }
      }),
  );
  focus.addCommand(
    new Command("reconnect")
      .description("make the running tracker reconnect to the compositor now")
      .action(async () => {
        await askTracker(context, "reconnect");
        if (context.globals().json) context.stdout(JSON.stringify({ reconnecting: true }) + "\n");
        else context.stdout("tether focus: reconnecting to the compositor\n");
      }),
  );
  return focus;
}

/** One kitty OS window in the tracker's status. */
interface OsWindowRow {
  pid: number;
  os_window_id: number | null;
  window_id: number | null;
  enlarged_pt: number;
  focused: boolean;
  pinned: boolean;
}

function describeOsWindow(row: OsWindowRow): string {
  const flags = [
    row.focused ? "focused" : null,
    row.enlarged_pt > 0 ? `enlarged +${row.enlarged_pt} pt` : "normal size",
    row.pinned ? "pinned" : null,
  ].filter((flag) => flag !== null);
  return `kitty ${row.pid} OS window ${row.os_window_id ?? "(active)"} (compositor window ${
    row.window_id ?? "–"
  }): ${flags.join(", ")}`;
}

interface FocusStatus {
  pid: number;
  uptime_seconds: number;
  reconnection_count: number;
  connection: {
    compositor: string;
    socket_path: string | null;
    status: string;
    reason: string | null;
    latency_ms: number | null;
    uptime_seconds: number;
    next_retry_ms: number | null;
  };
  settings: { app_id: string; font_delta: number };
  kitties: {
    pid: number;
    status: string;
    reason: string | null;
    version?: string | null;
    pooled?: boolean | null;
    pooling?: string;
    last_activity?: string | null;
    errors?: { time: string; category: string; message: string }[];
    enlarged_pt: number;
    focused: boolean;
    os_windows?: OsWindowRow[];
  }[];
}

async function askTracker(context: CliContext, cmd: string): Promise<unknown> {
  const path = focusControlSocketPath(context.env);
  try {
    return await requestControl(path, cmd, { timeoutMs: 2000 });
  } catch (error) {
    if (
      error instanceof ConnectionError &&
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

function renderStatus(data: FocusStatus): string {
  const connection = data.connection;
  const latency = connection.latency_ms === null ? "–" : `${connection.latency_ms} ms`;
  const lines = [
    `tether focus (pid ${data.pid}, up ${data.uptime_seconds} s, app id "${data.settings.app_id}", ±${data.settings.font_delta} pt)`,
    `compositor: ${connection.compositor} ${connection.status}` +
    (connection.socket_path ? ` ${connection.socket_path}` : "") +
    `, latency ${latency}, reconnections ${data.reconnection_count}, connected for ${connection.uptime_seconds} s` +
    (connection.reason ? ` (${connection.reason})` : "") +
    (connection.next_retry_ms !== null ? `, next retry in ${connection.next_retry_ms} ms` : ""),
  ];
  if (data.kitties.length === 0) lines.push("kitties: none seen yet");
  for (const kitty of data.kitties) {
    const pooled = kitty.pooled === undefined || kitty.pooled === null
      ? "pooling undecided"
      : kitty.pooled
      ? "pooled"
      : "not pooled";
    const flags = [
      kitty.focused ? "focused" : null,
      kitty.enlarged_pt > 0 ? `enlarged +${kitty.enlarged_pt} pt` : null,
      kitty.version ? `${pooled} (kitty ${kitty.version})` : pooled,
      `last activity ${kitty.last_activity ?? "never"}`,
      `${kitty.errors?.length ?? 0} errors`,
    ].filter((flag) => flag !== null);
    lines.push(`kitty ${kitty.pid}: ${kitty.status} — ${flags.join(", ")}`);
    if (kitty.reason) lines.push(`  ${kitty.reason}`);
    for (const row of kitty.os_windows ?? []) lines.push(`  ${describeOsWindow(row)}`);
    const last = kitty.errors?.at(-1);
    if (last) lines.push(`  last error ${last.time} [${last.category}] ${last.message}`);
  }
  return lines.join("\n") + "\n";
}

/** A flag's help line with its default, written the way every tether help line writes it. */
function withDefault(description: string, key: Parameters<typeof focusDefaultText>[0]): string {
  const value = focusDefaultText(key);
  return value === null ? description : `${description} (default: ${value})`;
}
