import { Command, Option } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import type { CompositorChoice } from "../compositor/compositor_socket.ts";
import { focusControlSocketPath, runFocusDaemon } from "../focus/daemon.ts";
import { ConfigError } from "../platform/config_error.ts";
import { requestControl } from "../resilience/control_socket.ts";
import { ConnectionError } from "../resilience/errors.ts";
import { errorJson } from "../resilience/errors.ts";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import {
  type FocusStatus,
  focusWaybarLine,
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
    .description("grow the focused kitty's font, shrink the one that lost focus (niri, sway)")
    .addOption(
      // choices() lists them in --help and completions; the parser keeps tether's own message
      // (with the i3 hint) instead of commander's.
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
    .action(async (options) => {
      const mode = modeFor(context, { stream: true });
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
        passwordFile: options.passwordFile === undefined
          ? undefined
          : resolve(options.passwordFile),
        env: context.env,
        emit: (line) =>
          context.stdout((mode === "human" ? renderFocusLine(line) : JSON.stringify(line)) + "\n"),
        logger: context.logger(),
        signal: context.shutdownSignal,
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
          data = await askTracker(context, "status") as FocusStatus;
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
        if (mode === "waybar") context.stdout(waybarJson(focusWaybarLine(data, null)) + "\n");
        else if (isJsonMode(mode)) {
          context.stdout(JSON.stringify({ running: true, ...data }) + "\n");
        } else context.stdout(renderFocusStatus(data));
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

const COMPOSITOR_CHOICES: readonly CompositorChoice[] = ["auto", "niri", "sway"];

function parseCompositor(value: string): CompositorChoice {
  if ((COMPOSITOR_CHOICES as readonly string[]).includes(value)) return value as CompositorChoice;
  const hint = value === "i3" ? " (i3 reports no window PIDs, so it cannot drive kitty)" : "";
  throw new ConfigError(`--compositor must be auto, niri or sway, got "${value}"${hint}`);
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
