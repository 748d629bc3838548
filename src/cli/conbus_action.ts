import { ConbusDaemon } from "../conbus/bridge_daemon.ts";
import { createBridgePool, poolAcquirer } from "../conbus/bridge_pool.ts";
import { type BridgeEndpoint, endpointLabel } from "../conbus/bridge_connection.ts";
import { sendTelegrams } from "../conbus/conbus_client.ts";
import { type ConbusSettings, loadConbusSettings } from "../conbus/conbus_config.ts";
import { conbusSocketPath, daemonStatus, sendViaDaemon } from "../conbus/daemon_client.ts";
import {
  failedSendReport,
  renderReport,
  type SendReport,
  TranscriptRecorder,
} from "../conbus/send_report.ts";
import type { Telegram } from "../conbus/telegram.ts";
import { parseTelegramArgument } from "../conbus/telegram_codec.ts";
import { TelegramError } from "../conbus/telegram_error.ts";
import {
  escapeControl,
  escapeControlLines,
  escapeJsonControl,
} from "../platform/escape_control.ts";
import { prepareTetherRuntimeDir } from "../platform/runtime_dir.ts";
import { ConfigError } from "../platform/config_error.ts";
import { ControlReplyError } from "../resilience/control_protocol.ts";
import { ConnectionError, errorJson } from "../resilience/errors.ts";
import { isoTimestamp } from "../platform/time_format.ts";
import { modeFor } from "./output_mode.ts";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";

/** `tether conbus send`'s flags as commander parsed them (declared in conbus.ts). */
export interface ConbusSendOptions {
  /** Bridge address; absent: $TETHER_CONBUS_HOST, config.yml, then ./cli.yml. */
  host?: string;
  /** Bridge TCP port, as typed; absent: the configured one, else 10001. */
  port?: string;
  /** Overall deadline including retries, as typed; absent: the configured one, else 2s. */
  timeout?: string;
  /** Broadcast/discover/event quiet window, as typed; absent: configured, else 500ms. */
  quietMs?: string;
  /**
   * Connect to the bridge even if `tether conbus serve` runs.
   *
   * @default {false}
   */
  direct: boolean;
}

/** `tether conbus serve`'s flags as commander parsed them (declared in conbus.ts). */
export interface ConbusServeOptions {
  /** Bridge address; absent: $TETHER_CONBUS_HOST, config.yml, then ./cli.yml. */
  host?: string;
  /** Bridge TCP port, as typed; absent: the configured one, else 10001. */
  port?: string;
  /** Minimum time between telegrams on the bus, as typed; absent: configured, else 50ms. */
  minGapMs?: string;
}

/** Runs `tether conbus send`: loaded only when a conbus subcommand runs. */
export async function conbusSendAction(
  context: CliContext,
  telegramArgs: string[],
  options: ConbusSendOptions,
): Promise<void> {
  const telegrams = parseTelegrams(telegramArgs);
  const settings = await loadConbusSettings(
    {
      host: options.host,
      port: options.port,
      timeout: options.timeout,
      quietMs: options.quietMs,
    },
    { env: context.env },
  );
  const report = await send(telegrams, settings, {
    direct: options.direct,
    socketPath: conbusSocketPath(context.env),
    context,
  });
  // Frames are bytes from the network: never raw control characters on a terminal.
  if (modeFor(context, { stream: false }) === "json") {
    context.stdout(escapeJsonControl(JSON.stringify(report)) + "\n");
  } else context.stdout(escapeControlLines(renderReport(report)));
  context.setExitCode(report.outcome === "replied" ? ExitCode.ok : ExitCode.failed);
}

/** Runs `tether conbus serve` until SIGINT/SIGTERM: loaded only when a conbus subcommand runs. */
export async function conbusServeAction(
  context: CliContext,
  options: ConbusServeOptions,
): Promise<void> {
  const settings = await loadConbusSettings(
    { host: options.host, port: options.port, minGapMs: options.minGapMs },
    { env: context.env },
  );
  const endpoint = { host: requireHost(settings), port: settings.port };
  // The runtime dir and its tether/ checked as cleanup checks them, before anything exists.
  prepareTetherRuntimeDir(context.env, process.getuid!());
  const socketPath = conbusSocketPath(context.env);
  if (socketPath === null) {
    throw new ConfigError(
      "XDG_RUNTIME_DIR is not set; tether conbus serve needs it for its socket",
    );
  }
  const logger = context.logger();
  // A stream: readable lines on a terminal, JSON lines otherwise (the output rule).
  const json = modeFor(context, { stream: true }) !== "human";
  const daemon = await ConbusDaemon.start({
    endpoint,
    socketPath,
    minGapMs: settings.minGapMs,
    logger,
    onIdleTelegram: (incoming) => {
      const ts = isoTimestamp(incoming.atMs);
      const frame = incoming.kind === "telegram" ? incoming.telegram.frame : incoming.frame;
      if (json) {
        context.stdout(
          escapeJsonControl(JSON.stringify({ ts, event: "bus_telegram", frame })) + "\n",
        );
      } else {
        // A bridge sending garbage must not drive the terminal (escape injection).
        context.stdout(
          `${isoTimestamp(incoming.atMs).slice(11, 23)} [RX] ${
            escapeControl(frame)
          }  (while idle)\n`,
        );
      }
    },
    onIdleNotShown: (count, atMs) => {
      if (json) {
        context.stdout(
          JSON.stringify({ ts: isoTimestamp(atMs), event: "bus_telegrams_not_shown", count }) +
            "\n",
        );
      } else {
        context.stdout(
          `${isoTimestamp(atMs).slice(11, 23)} ${count} more bus telegrams not shown (flood)\n`,
        );
      }
    },
  });
  logger.info(`serving Conbus bridge ${endpointLabel(endpoint)} on ${socketPath}`);
  if (!context.shutdownSignal.aborted) {
    await new Promise((resolve) =>
      context.shutdownSignal.addEventListener("abort", resolve, { once: true })
    );
  }
  logger.info("stopping: finishing the request in flight");
  await daemon.stop();
}

/**
 * Sends through `serve` when it runs for this bridge (and not `direct`), else directly. When
 * the bridge or `serve` cannot be reached, `--json` still prints a document (outcome and
 * `error`) before the error line goes to stderr.
 */
async function send(
  telegrams: Telegram[],
  settings: ConbusSettings,
  { direct, socketPath, context }: {
    direct: boolean;
    socketPath: string | null;
    context: CliContext;
  },
): Promise<SendReport> {
  const failed = (error: unknown, outcome: "no_reply" | "outcome_unknown") => {
    if (
      modeFor(context, { stream: false }) === "json" &&
      (error instanceof ConnectionError || error instanceof ConfigError)
    ) {
      const problem = error instanceof ConnectionError
        ? errorJson(error)
        : { category: "not_configured" as const, message: error.message };
      context.stdout(JSON.stringify(failedSendReport(telegrams, problem, outcome)) + "\n");
    }
    return error;
  };
  if (!direct && socketPath !== null) {
    const explicit = settings.endpointSource !== "default";
    let reply: Awaited<ReturnType<typeof sendViaDaemon>>;
    try {
      reply = await sendViaDaemon(socketPath, {
        telegrams: telegrams.map((telegram) => telegram.frame),
        timeout_ms: settings.timeoutMs,
        quiet_ms: settings.quietMs,
        ...(explicit && settings.host !== null ? { host: settings.host } : {}),
        ...(explicit ? { port: settings.port } : {}),
      });
    } catch (error) {
      // serve answered with an error (queue full, bridge reconnecting) or had no room for the
      // connection: nothing was sent. Any other failure came after serve took the request,
      // which it may have sent.
      const declined = error instanceof ControlReplyError ||
        (error instanceof ConnectionError && error.category === "busy");
      throw failed(error, declined ? "no_reply" : "outcome_unknown");
    }
    if (reply?.accepted) return reply.report;
    if (reply) context.logger().info(`tether conbus serve ${reply.reason}: connecting directly`);
  }
  const endpoint = { host: requireHost(settings), port: settings.port };
  try {
    return await sendDirect(telegrams, endpoint, settings, context);
  } catch (error) {
    // sendTelegrams throws only when nothing could be written.
    throw failed(
      await explainConnectFailure(error, endpointLabel(endpoint), socketPath),
      "no_reply",
    );
  }
}

function parseTelegrams(args: string[]): Telegram[] {
  return args.map((arg) => {
    try {
      return parseTelegramArgument(arg);
    } catch (error) {
      if (error instanceof TelegramError) {
        throw new ConfigError(`telegram "${arg}": ${error.message}`);
      }
      throw error;
    }
  });
}

async function sendDirect(
  telegrams: Telegram[],
  endpoint: BridgeEndpoint,
  settings: ConbusSettings,
  context: CliContext,
): Promise<SendReport> {
  const pool = createBridgePool(endpoint, { connectTimeoutMs: settings.timeoutMs });
  const recorder = new TranscriptRecorder();
  try {
    const result = await sendTelegrams(telegrams, {
      acquire: poolAcquirer(pool, endpoint),
      timeoutMs: settings.timeoutMs,
      quietMs: settings.quietMs,
      minGapMs: 0,
      signal: context.shutdownSignal,
      onSent: recorder.onSent,
      onReceived: recorder.onReceived,
      onConnectRetry: (error, delayMs) =>
        context.logger().debug(`connect failed (${String(error)}); retrying in ${delayMs} ms`),
    });
    return recorder.report(result);
  } finally {
    await pool.close();
  }
}

/**
 * A host that does not resolve is a configuration error (exit 2); a refused connection while
 * `serve` holds the bridge is the one-client rule: say so.
 */
async function explainConnectFailure(
  error: unknown,
  label: string,
  socketPath: string | null,
): Promise<unknown> {
  if (!(error instanceof ConnectionError)) return error;
  if (error.category === "not_configured") return new ConfigError(error.message);
  if (!["refused", "closed", "busy", "timeout"].includes(error.category)) return error;
  const daemon = socketPath === null ? null : await daemonStatus(socketPath);
  if (daemon !== null && daemon.endpoint === label) {
    return new ConnectionError(
      "busy",
      `bridge busy: Conbus bridge ${label} accepts one client and tether conbus serve (pid ${daemon.pid}) holds it — send without --direct`,
      { recoverable: false },
    );
  }
  return new ConnectionError(
    error.category,
    `${error.message} — nothing sent; the bridge accepts one client at a time: is another one (the vendor app, xp, tether conbus serve) connected?`,
  );
}

function requireHost(settings: ConbusSettings): string {
  if (settings.host === null) {
    throw new ConfigError(
      "no Conbus bridge configured: pass --host, set TETHER_CONBUS_HOST, add conbus.host to $XDG_CONFIG_HOME/tether/config.yml, or run from a directory with xp's cli.yml (conbus.ip)",
    );
  }
  return settings.host;
}
