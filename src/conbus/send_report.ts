import type { ErrorJson } from "../resilience/errors.ts";
import { isoTimestamp } from "../platform/time_format.ts";
import type { Incoming } from "./bridge_connection.ts";
import type { Outcome, Routing } from "./reply_matcher.ts";
import type { SendResult } from "./conbus_client.ts";
import type { Telegram } from "./telegram.ts";

/** One line of the `[TX]`/`[RX]` transcript. */
export interface TranscriptLine {
  /** `TX` written, `RX` received. */
  direction: "TX" | "RX";
  /** When it was written or received (ISO 8601 with offset). */
  ts: string;
  /** The frame as on the wire (latin-1 text). */
  frame: string;
  /** What it was: `reply to #1`, `event`, `resent (read retry)`, `invalid: checksum …`. */
  note: string | null;
}

/** The JSON document of `tether conbus send --json` (and of `serve`'s `send` reply). */
export interface SendReport {
  /** Frames written, in order (a retried read appears twice). */
  sent: { frame: string; ts: string; attempt: number }[];
  /** Replies matched to a telegram (`to` = its 0-based index). */
  replies: { frame: string; ts: string; to: number }[];
  /** Telegrams that were not replies: bus events, other traffic. */
  events: { frame: string; ts: string }[];
  /** Frames that failed to decode (bad checksum, layout): never matched. */
  invalid: { frame: string; ts: string; error: ErrorJson }[];
  /** Worst outcome over all telegrams. */
  outcome: Outcome;
  /** Per telegram, in argument order. */
  results: { telegram: string; outcome: Outcome; writes: number; reason: string | null }[];
  /** Events dropped because the bound was reached. */
  dropped_events: number;
  /** Everything in time order, for the text output. */
  transcript: TranscriptLine[];
  /** Why nothing could be read (bridge unreachable or busy, serve not answering), else null. */
  error: ErrorJson | null;
}

/**
 * Collects the transcript while {@link sendTelegrams} runs; pass its callbacks as `onSent` and
 * `onReceived`, then call {@link TranscriptRecorder.report}.
 */
export class TranscriptRecorder {
  /** Lines in time order. */
  readonly lines: TranscriptLine[] = [];
  readonly #sent: SendReport["sent"] = [];
  readonly #replyTimes = new Map<string, string[]>();
  readonly #maxLines: number;

  constructor(maxLines = 2000) {
    this.#maxLines = maxLines;
  }

  /** `onSent` callback. */
  readonly onSent = (telegram: Telegram, atMs: number, attempt: number): void => {
    const ts = isoTimestamp(atMs);
    this.#sent.push({ frame: telegram.frame, ts, attempt });
    this.#push({
      direction: "TX",
      ts,
      frame: telegram.frame,
      note: attempt > 1 ? "resent (read retry on a fresh connection)" : null,
    });
  };

  /** `onReceived` callback. */
  readonly onReceived = (incoming: Incoming, routing: Routing | null): void => {
    const ts = isoTimestamp(incoming.atMs);
    if (incoming.kind === "invalid") {
      this.#push({
        direction: "RX",
        ts,
        frame: incoming.frame,
        note: `invalid: ${incoming.error}`,
      });
      return;
    }
    const frame = incoming.telegram.frame;
    if (routing?.kind === "reply") {
      const times = this.#replyTimes.get(frame) ?? [];
      times.push(ts);
      this.#replyTimes.set(frame, times);
    }
    this.#push({
      direction: "RX",
      ts,
      frame,
      note: routing?.kind === "reply" ? `reply to #${routing.index + 1}` : "event",
    });
  };

  /** Builds the report from the result. */
  report(result: SendResult): SendReport {
    const timeOf = (frame: string, atMs?: number) =>
      this.#replyTimes.get(frame)?.shift() ??
        isoTimestamp(atMs ?? Date.now());
    const replies: SendReport["replies"] = [];
    result.results.forEach((each, index) => {
      for (const reply of each.replies) {
        replies.push({ frame: reply.frame, ts: timeOf(reply.frame), to: index });
      }
    });
    return {
      sent: this.#sent,
      replies,
      events: result.events.flatMap((each) =>
        each.kind === "telegram"
          ? [{ frame: each.telegram.frame, ts: isoTimestamp(each.atMs) }]
          : []
      ),
      invalid: result.invalid.flatMap((each) =>
        each.kind === "invalid"
          ? [{
            frame: each.frame,
            ts: isoTimestamp(each.atMs),
            error: { category: "protocol" as const, message: each.error },
          }]
          : []
      ),
      outcome: result.outcome,
      results: result.results.map((each) => ({
        telegram: each.telegram.frame,
        outcome: each.outcome,
        writes: each.writes,
        reason: each.detail,
      })),
      dropped_events: result.droppedEvents,
      transcript: this.lines,
      error: null,
    };
  }

  #push(line: TranscriptLine): void {
    if (this.lines.length < this.#maxLines) this.lines.push(line);
  }
}

/**
 * The report of a send that failed before any reply could be read: every telegram gets
 * `outcome` (`no_reply` when nothing was sent, `outcome_unknown` when `serve` took the request
 * and then did not answer) with the error's message as its reason. With `--json` a script still gets a
 * document.
 *
 * @example
 * ```ts
 * failedSendReport([telegram], { category: "refused", message: "Conbus bridge 10.0.0.5:10001: connection refused" }, "no_reply");
 * ```
 */
export function failedSendReport(
  telegrams: readonly Telegram[],
  error: ErrorJson,
  outcome: "no_reply" | "outcome_unknown",
): SendReport {
  return {
    sent: [],
    replies: [],
    events: [],
    invalid: [],
    outcome,
    results: telegrams.map((telegram) => ({
      telegram: telegram.frame,
      outcome,
      writes: 0,
      reason: error.message,
    })),
    dropped_events: 0,
    transcript: [],
    error,
  };
}

/**
 * Renders a report as text: one `HH:MM:SS.mmm [TX]|[RX] <frame>  (note)` line per transcript
 * entry (local time), then one `#n <frame>: outcome (reason)` line per telegram.
 *
 * @example
 * ```ts
 * renderReport(report); // "12:00:00.000 [TX] <S0020044964F02D12FJ>\n..."
 * ```
 */
export function renderReport(report: SendReport): string {
  const lines = report.transcript.map((line) =>
    `${line.ts.slice(11, 23)} [${line.direction}] ${line.frame}${
      line.note === null ? "" : `  (${line.note})`
    }`
  );
  if (report.dropped_events > 0) {
    lines.push(`${report.dropped_events} more received telegrams not shown (flood)`);
  }
  report.results.forEach((each, index) => {
    lines.push(
      `#${index + 1} ${each.telegram}: ${each.outcome}${
        each.reason === null ? "" : ` (${each.reason})`
      }`,
    );
  });
  return lines.join("\n") + "\n";
}
