import { MAX_TIMER_MS } from "../platform/duration.ts";
import type { ControlRequest } from "../resilience/control_protocol.ts";
import type { SendReport } from "./send_report.ts";
import type { Telegram } from "./telegram.ts";
import { parseTelegramArgument } from "./telegram_codec.ts";
import { TelegramError } from "./telegram_error.ts";

/**
 * What a `send` request on `serve`'s control socket carries (JSON, wire names):
 * `{"cmd":"send","telegrams":["S0020044964F02D12"],"timeout_ms":2000,"quiet_ms":500}`.
 */
export interface DaemonSendRequest {
  /** Frames or bodies. */
  telegrams: string[];
  /** Overall timeout for the bridge exchange. */
  timeout_ms: number;
  /** Quiet window. */
  quiet_ms: number;
  /** If set, the bridge the client wants; a different one is answered `accepted: false`. */
  host?: string;
  /** See `host`. */
  port?: number;
}

/** The `send` reply's data: the report, or why the daemon did not take the request. */
export type DaemonSendReply =
  | { accepted: true; report: SendReport }
  | { accepted: false; reason: string; endpoint: string };

/** A validated `send` request. */
export interface DaemonSend {
  /** Parsed telegrams (checksums verified, `R` refused). */
  telegrams: Telegram[];
  /** Overall timeout, ms. */
  timeoutMs: number;
  /** Quiet window, ms. */
  quietMs: number;
  /** The bridge the client wants, if it named one. */
  host?: string;
  /** See `host`. */
  port?: number;
}

/**
 * Validates a `send` request from the control socket. Throws an `Error` whose message becomes
 * the `{"ok":false,"error":…}` reply: `"telegrams" must be a non-empty array of strings`,
 * `<S0020044964F02D12FA>: checksum FJ expected, got FA`, `"timeout_ms" must be > 0` (and at
 * most {@link MAX_TIMER_MS}).
 *
 * @example
 * ```ts
 * parseSendRequest({ cmd: "send", telegrams: ["S0020044964F02D12"], timeout_ms: 2000, quiet_ms: 500 });
 * // { telegrams: [<S0020044964F02D12FJ>], timeoutMs: 2000, quietMs: 500 }
 * ```
 */
export function parseSendRequest(request: ControlRequest): DaemonSend {
  const telegrams = request.telegrams;
  if (!Array.isArray(telegrams) || telegrams.length === 0) {
    throw new Error('"telegrams" must be a non-empty array of strings');
  }
  const positive = (value: unknown, name: string) => {
    if (typeof value !== "number" || !(value > 0)) throw new Error(`"${name}" must be > 0`);
    if (value > MAX_TIMER_MS) throw new Error(`"${name}" must be at most ${MAX_TIMER_MS}`);
    return value;
  };
  try {
    return {
      telegrams: telegrams.map((each) => parseTelegramArgument(String(each))),
      timeoutMs: positive(request.timeout_ms, "timeout_ms"),
      quietMs: positive(request.quiet_ms, "quiet_ms"),
      host: typeof request.host === "string" ? request.host : undefined,
      port: typeof request.port === "number" ? request.port : undefined,
    };
  } catch (error) {
    if (error instanceof TelegramError) throw new Error(`${error.input}: ${error.message}`);
    throw error;
  }
}
