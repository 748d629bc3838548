import type { Incoming } from "./bridge_connection.ts";
import type { Outcome, Routing } from "./reply_matcher.ts";
import type { SendResult } from "./conbus_client.ts";
import type { Telegram } from "./telegram.ts";

/** One line of the `[TX]`/`[RX]` transcript. */
export interface TranscriptLine {
  /** `TX` written, `RX` received. */
  direction: "TX" | "RX";
  /** ISO 8601 time. */
  time: string;
  /** The frame as on the wire (latin-1 text). */
  frame: string;
  /** What it was: `reply to #1`, `event`, `resent (read retry)`, `invalid: checksum …`. */
  note: string | null;
}

/** The JSON document of `tether conbus send --json` (and of `serve`'s `send` reply). */
export interface SendReport {
  /** Frames written, in order (a retried read appears twice). */
  sent: { frame: string; time: string; attempt: number }[];
  /** Replies matched to a telegram (`to` = its 0-based index). */
  replies: { frame: string; time: string; to: number }[];
  /** Telegrams that were not replies: bus events, other traffic. */
  events: { frame: string; time: string }[];
  /** Frames that failed to decode (bad checksum, layout): never matched. */
  invalid: { frame: string; time: string; error: string }[];
  /** Worst outcome over all telegrams. */
  outcome: Outcome;
  /** Per telegram, in argument order. */
  results: { telegram: string; outcome: Outcome; writes: number; detail: string | null }[];
  /** Events dropped because the bound was reached. */
  dropped_events: number;
  /** Everything in time order, for the text output. */
  transcript: TranscriptLine[];
  /** Why nothing could be read (bridge unreachable or busy, serve not answering), else null. */
  error: string | null;
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
    const time = new Date(atMs).toISOString();
    this.#sent.push({ frame: telegram.frame, time, attempt });
    this.#push({
      direction: "TX",
      time,
      frame: telegram.frame,
      note: attempt > 1 ? "resent (read retry on a fresh connection)" : null,
    });
  };

  /** `onReceived` callback. */
  readonly onReceived = (incoming: Incoming, routing: Routing | null): void => {
    const time = new Date(incoming.atMs).toISOString();
    if (incoming.kind === "invalid") {
      this.#push({
        direction: "RX",
        time,
        frame: incoming.frame,
        note: `invalid: ${incoming.error}`,
      });
      return;
    }
    const frame = incoming.telegram.frame;
    if (routing?.kind === "reply") {
      const times = this.#replyTimes.get(frame) ?? [];
      times.push(time);
      this.#replyTimes.set(frame, times);
    }
    this.#push({
      direction: "RX",
      time,
      frame,
      note: routing?.kind === "reply" ? `reply to #${routing.index + 1}` : "event",
    });
  };

  /** Builds the report from the result. */
  report(result: SendResult): SendReport {
    const timeOf = (frame: string, atMs?: number) =>
      this.#replyTimes.get(frame)?.shift() ??
        new Date(atMs ?? Date.now()).toISOString();
    const replies: SendReport["replies"] = [];
    result.results.forEach((each, index) => {
      for (const reply of each.replies) {
        replies.push({ frame: reply.frame, time: timeOf(reply.frame), to: index });
      }
    });
    return {
      sent: this.#sent,
      replies,
      events: result.events.flatMap((each) =>
        each.kind === "telegram"
          ? [{ frame: each.telegram.frame, time: new Date(each.atMs).toISOString() }]
          : []
      ),
      invalid: result.invalid.flatMap((each) =>
        each.kind === "invalid"
          ? [{ frame: each.frame, time: new Date(each.atMs).toISOString(), error: each.error }]
          : []
      ),
      outcome: result.outcome,
      results: result.results.map((each) => ({
        telegram: each.telegram.frame,
        outcome: each.outcome,
        writes: each.writes,
        detail: each.detail,
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
 * and then did not answer) with the error as its detail. With `--json` a script still gets a
 * document.
 *
 * @example
 * ```ts
 * failedSendReport([telegram], "Conbus bridge 10.0.0.5:10001: connection refused", "no_reply");
 * ```
 */
export function failedSendReport(
  telegrams: readonly Telegram[],
  error: string,
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
      detail: error,
    })),
    dropped_events: 0,
    transcript: [],
    error,
  };
}

/**
 * Renders a report as text: one `HH:MM:SS.mmm [TX]|[RX] <frame>  (note)` line per transcript
 * entry, then one `#n <frame>: outcome (detail)` line per telegram.
 *
 * @example
 * ```ts
 * renderReport(report); // "12:00:00.000 [TX] <S0020044964F02D12FJ>\n..."
 * ```
 */
export function renderReport(report: SendReport): string {
  const lines = report.transcript.map((line) =>
    `${line.time.slice(11, 23)} [${line.direction}] ${line.frame}${
      line.note === null ? "" : `  (${line.note})`
    }`
  );
  if (report.dropped_events > 0) {
    lines.push(`${report.dropped_events} more received telegrams not shown (flood)`);
  }
  report.results.forEach((each, index) => {
    lines.push(
      `#${index + 1} ${each.telegram}: ${each.outcome}${
        each.detail === null ? "" : ` (${each.detail})`
      }`,
    );
  });
  return lines.join("\n") + "\n";
}
