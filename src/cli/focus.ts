import { Command, Option } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import type { CompositorChoice } from "../compositor/compositor_socket.ts";
import { focusControlSocketPath, runFocusDaemon } from "../focus/daemon.ts";
import { ConfigError } from "../platform/config_error.ts";
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
      new Option("--compositor <name>", "which compositor to follow")
        .choices(COMPOSITOR_CHOICES)
        .default("auto")
        .argParser((value) => value),
    )
    .option("--app-id <id>", "app id of kitty windows", "kitty")
    .option("--font-delta <points>", "points to grow the focused kitty by", "3")
    .option("--socket-timeout <seconds>", "connect/reply timeout per attempt", "2")
    .option("--max-retries <n>", "attempts per kitty command (delays 0, 100, 200 ms)", "3")
    .option("--max-connections <n>", "pooled kitty connections in total (kitty >= 0.42.2)", "10")
    .option("--idle-timeout <seconds>", "close pooled kitty connections idle this long", "1800")
    .option("--reap-interval <seconds>", "how often idle connections are reaped", "300")
    .option(
      "--password-file <path>",
      "kitty remote-control password (default ~/.config/kitty/rc.password)",
    )
    .option(
      "--exclude-title <regex>",
      "never resize windows whose title matches (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--wait", "with no compositor yet, wait for one (default under systemd)", false)
    .action(async (options) => {
      // Under systemd the JSON lines would fill the journal, one per focus change: they become
      // debug log lines there (shown with --log-level debug).
      const toJournal = stdoutIsJournal(context.env);
      await runFocusDaemon({
        compositor: parseCompositor(options.compositor),
        appId: parseAppId(options.appId),
        deltaPt: parseNumber("--font-delta", options.fontDelta, { min: 0.5, max: 50 }),
        socketTimeoutMs: parseNumber("--socket-timeout", options.socketTimeout, {
          min: 0.05,
          max: 60,
        }) * 1000,
        maxAttempts: parseNumber("--max-retries", options.maxRetries, {
          min: 1,
          max: 10,
          integer: true,
        }),
        maxConnections: parseNumber("--max-connections", options.maxConnections, {
          min: 1,
          max: 256,
          integer: true,
        }),
        idleTimeoutMs: parseNumber("--idle-timeout", options.idleTimeout, {
          min: 1,
          max: 86_400,
        }) * 1000,
        reapIntervalMs: parseNumber("--reap-interval", options.reapInterval, {
          min: 1,
          max: 86_400,
        }) * 1000,
        excludeTitles: options.excludeTitle.map(parseTitlePattern),
        passwordFile: options.passwordFile === undefined
          ? undefined
          : resolve(options.passwordFile),
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

const COMPOSITOR_CHOICES: readonly CompositorChoice[] = ["auto", "niri", "sway", "i3"];

function parseCompositor(value: string): CompositorChoice {
  if ((COMPOSITOR_CHOICES as readonly string[]).includes(value)) return value as CompositorChoice;
  throw new ConfigError(`--compositor must be auto, niri, sway or i3, got "${value}"`);
}

function parseTitlePattern(value: string): RegExp {
  try {
    return new RegExp(value);
  } catch (error) {
    throw new ConfigError(
      `--exclude-title "${value}" is not a valid regular expression: ${(error as Error).message}`,
    );
  }
}

function parseAppId(value: string): string {
  if (value.trim() === "") throw new ConfigError("--app-id must not be empty");
  return value;
}

function parseNumber(
  flag: string,
  value: string,
  limits: { min: number; max: number; integer?: boolean },
): number {
  const number = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  const valid = Number.isFinite(number) && number >= limits.min && number <= limits.max &&
    (!limits.integer || Number.isInteger(number));
  if (!valid) {
    throw new ConfigError(
      `${flag} must be ${
        limits.integer ? "a whole number" : "a number"
      } from ${limits.min} to ${limits.max}, got "${value}"`,
    );
  }
  return number;
}
