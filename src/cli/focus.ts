import { Command, Option } from "@commander-js/extra-typings";
import { focusControlSocketPath, runFocusDaemon } from "../focus/daemon.ts";
import {
  COMPOSITOR_CHOICES,
  focusDefaultText,
  resolveFocusSettings,
} from "../focus/focus_config.ts";
import { loadTetherConfig, tetherConfigPath } from "../platform/config.ts";
import { stdoutIsJournal } from "../platform/journal_stream.ts";
import { ControlReplyError } from "../resilience/control_protocol.ts";
import { requestControl } from "../resilience/control_socket.ts";
import { parseDaemonStatus } from "../resilience/daemon_status.ts";
import { ConnectionError } from "../resilience/errors.ts";
import { errorJson } from "../resilience/errors.ts";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import {
  describeOsWindow,
  type FocusStatus,
  focusWaybarLine,
  type OsWindowRow,
  renderFocusLine,
  renderFocusStatus,
} from "./focus_render.ts";
import { isJsonMode, modeFor, type OutputFormat } from "./output_mode.ts";
import { waybarJson } from "./waybar.ts";

/**
 * `tether focus`: the main job — kitty's font follows compositor focus (grow the focused kitty,
 * shrink the one that lost focus); one readable line per action on a terminal, JSON lines
 * otherwise (the output rule, output_mode.ts). `tether focus status [--json|--format waybar]`
 * and `tether focus reconnect` talk to the running tracker over its control socket. Exit 0 on
 * a clean stop (SIGINT/SIGTERM), 1 when the tracker is unreachable, 2 for usage/config errors.
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
    .option(
      "--app-id <id>",
      withDefault("app id of kitty windows (repeatable)", "app_ids"),
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
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
    });
  focus.addCommand(
    new Command("status")
      .description("show every running kitty and the compositor connection of the running tracker")
      .addOption(
        new Option("--format <format>", "human, json (= --json) or waybar (one Waybar line)")
          .choices(["human", "json", "waybar"] as const),
      )
      .action(async (options) => {
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
      }),
  );
  focus.addCommand(
    new Command("pin")
      .description("leave the focused kitty OS window as it is (enlarged or not) until unpin")
      .action(async () => {
        const data = await askTracker(context, "pin") as { pinned: OsWindowRow };
        if (modeFor(context, { stream: false }) === "json") {
          context.stdout(JSON.stringify(data) + "\n");
        } else context.stdout(`tether focus: pinned ${describeOsWindow(data.pinned)}\n`);
      }),
  );
  focus.addCommand(
    new Command("unpin")
      .description("unpin every pinned OS window (each is brought in line with focus at once)")
      .action(async () => {
        const data = await askTracker(context, "unpin") as { unpinned: OsWindowRow[] };
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
      }),
  );
  focus.addCommand(
    new Command("reconnect")
      .description("make the running tracker reconnect to the compositor now")
      .action(async () => {
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
      }),
  );
  return focus;
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
    // The tracker's own error reply (e.g. nothing to pin) is passed on as it is.
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

/** A flag's help line with its default, written the way every tether help line writes it. */
function withDefault(description: string, key: Parameters<typeof focusDefaultText>[0]): string {
  const value = focusDefaultText(key);
  return value === null ? description : `${description} (default: ${value})`;
}
