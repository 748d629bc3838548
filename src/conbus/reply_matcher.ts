import {
  ACK_FUNCTION,
  BROADCAST_SERIAL,
  NAK_FUNCTION,
  type ReplyTelegram,
  type Telegram,
  UNSUPPORTED_VALUE,
} from "./telegram.ts";

/** How one sent telegram ended. */
export type Outcome = "replied" | "nak" | "unsupported" | "no_reply" | "outcome_unknown";

/**
 * What ends a sent telegram:
 * - `read`: a targeted read (`F01`/`F02`/`F03`) ends at the reply with the same serial,
 *   function and (for `F02`) datapoint — or a NAK from that serial;
 * - `write`: any other targeted function ends at ACK `F18` / NAK `F19` from that serial;
 * - `broadcast`: serial `0000000000` collects replies until the quiet window passes;
 * - `event`: `E`/`O` telegrams are not acknowledged by the bus; the quiet window passes. (`R`
 *   telegrams are never sent: `parseTelegramArgument` refuses them.)
 */
export type Expectation =
  | { kind: "read"; serial: string; functionCode: string; datapoint: string | null }
  | { kind: "write"; serial: string }
  | { kind: "broadcast"; functionCode: string; datapoint: string | null }
  | { kind: "event" };

/** Read-only functions: discover, read datapoint, read config. Safe to retry. */
const READ_FUNCTIONS: ReadonlySet<string> = new Set(["01", "02", "03"]);

/**
 * The expectation for a telegram about to be sent.
 *
 * @example
 * ```ts
 * expectationFor(telegramFromBody("S0020044964F02D12"));
 * // { kind: "read", serial: "0020044964", functionCode: "02", datapoint: "12" }
 * ```
 */
export function expectationFor(telegram: Telegram): Expectation {
  if (telegram.type !== "S") return { kind: "event" };
  const datapoint = telegram.functionCode === "02" ? telegram.data.slice(0, 2) : null;
  if (telegram.serial === BROADCAST_SERIAL) {
    return { kind: "broadcast", functionCode: telegram.functionCode, datapoint };
  }
  if (READ_FUNCTIONS.has(telegram.functionCode)) {
    return {
      kind: "read",
      serial: telegram.serial,
      functionCode: telegram.functionCode,
      datapoint,
    };
  }
  return { kind: "write", serial: telegram.serial };
}

/** Whether a sent-but-unanswered telegram may be sent once more (reads only). */
export function isRetrySafe(telegram: Telegram): boolean {
  return telegram.type === "S" && READ_FUNCTIONS.has(telegram.functionCode);
}

/**
 * How a received telegram relates to an expectation: the outcome it settles (`replied`, `nak`,
 * `unsupported`), `collected` for a broadcast reply (the window continues), or null if it is not
 * an answer to it. Events are never answers.
 */
function matchReply(
  expectation: Expectation,
  telegram: Telegram,
): "replied" | "nak" | "unsupported" | "collected" | null {
  if (telegram.type !== "R") return null;
  switch (expectation.kind) {
    case "read":
      if (telegram.serial !== expectation.serial) return null;
      if (telegram.functionCode === NAK_FUNCTION) return "nak";
      if (telegram.functionCode !== expectation.functionCode) return null;
      if (expectation.datapoint === null) return "replied";
      if (!telegram.data.startsWith(expectation.datapoint)) return null;
      return replyValue(telegram) === UNSUPPORTED_VALUE ? "unsupported" : "replied";
    case "write":
      if (telegram.serial !== expectation.serial) return null;
      if (telegram.functionCode === ACK_FUNCTION) return "replied";
      return telegram.functionCode === NAK_FUNCTION ? "nak" : null;
    case "broadcast":
      if (telegram.functionCode === ACK_FUNCTION || telegram.functionCode === NAK_FUNCTION) {
        return "collected";
      }
      if (telegram.functionCode !== expectation.functionCode) return null;
      if (expectation.datapoint !== null && !telegram.data.startsWith(expectation.datapoint)) {
        return null;
      }
      return "collected";
    case "event":
      return null;
  }
}

/** The value of an `F02` reply (data after the 2-character datapoint), e.g. `+26,0§C`. */
function replyValue(reply: ReplyTelegram): string {
  return reply.functionCode === "02" ? reply.data.slice(2) : reply.data;
}

/** One sent telegram and what has come back for it so far. */
export interface PendingRequest {
  /** The telegram as sent. */
  readonly telegram: Telegram;
  /** What ends it. */
  readonly expectation: Expectation;
  /** Replies matched to it, in arrival order. */
  readonly replies: ReplyTelegram[];
  /** Its outcome once settled, else null. */
  outcome: Outcome | null;
  /** How many times it was written (2 = a read retried after no reply). */
  writes: number;
  /** When it was last written (ms, the caller's clock), null before or after a reopen. */
  sentAtMs: number | null;
  /** Last time something relevant happened (write or matched reply), for the quiet window. */
  lastActivityMs: number | null;
}

/** Where a received telegram went: to request `index` as a reply, or to the event list. */
export type Routing = { kind: "reply"; index: number } | { kind: "event" };

/**
 * Matches received telegrams to sent ones by content, never by order: the bridge answers
 * pipelined requests out of order and forwards unrelated bus traffic (events, other clients'
 * replies) at any time. Pure: times are passed in, nothing is scheduled.
 *
 * @example
 * ```ts
 * const matcher = new ReplyMatcher([read12, read02], { quietMs: 500 });
 * matcher.markSent(0, 0); matcher.markSent(1, 0);
 * matcher.receive(replyTo02, 40); // { kind: "reply", index: 1 }
 * ```
 */
export class ReplyMatcher {
  /** The requests in send order. */
  readonly requests: PendingRequest[];
  readonly #quietMs: number;

  constructor(telegrams: readonly Telegram[], options: { quietMs: number }) {
    this.#quietMs = options.quietMs;
    this.requests = telegrams.map((telegram) => ({
      telegram,
      expectation: expectationFor(telegram),
      replies: [],
      outcome: null,
      writes: 0,
      sentAtMs: null,
      lastActivityMs: null,
    }));
  }

  /** Records that request `index` was written at `atMs`. */
  markSent(index: number, atMs: number): void {
    const request = this.requests[index]!;
    request.writes++;
    request.sentAtMs = atMs;
    request.lastActivityMs = atMs;
  }

  /**
   * Routes one received telegram: the first sent, unsettled request it answers gets it
   * (settling a targeted one); a broadcast reply also restarts that request's quiet window.
   * Everything else is an event, which answers nothing and restarts no window: an event
   * telegram's window runs from its write, so a busy bus cannot hold it open.
   */
  receive(telegram: Telegram, atMs: number): Routing {
    for (let index = 0; index < this.requests.length; index++) {
      const request = this.requests[index]!;
      if (request.outcome !== null || request.sentAtMs === null) continue;
      const match = matchReply(request.expectation, telegram);
      if (match === null || telegram.type !== "R") continue;
      request.replies.push(telegram);
      request.lastActivityMs = atMs;
      if (match !== "collected") request.outcome = match;
      return { kind: "reply", index };
    }
    return { kind: "event" };
  }

  /**
   * Settles quiet-window requests whose window has passed at `atMs` and returns the time of the
   * next window end still running, or null if none is.
   */
  settleQuiet(atMs: number): number | null {
    let next: number | null = null;
    for (const request of this.requests) {
      if (request.outcome !== null || request.lastActivityMs === null) continue;
      const kind = request.expectation.kind;
      if (kind !== "broadcast" && kind !== "event") continue;
      const endsAt = request.lastActivityMs + this.#quietMs;
      if (atMs >= endsAt) request.outcome = quietOutcome(request);
      else next = next === null ? endsAt : Math.min(next, endsAt);
    }
    return next;
  }

  /**
   * Settles broadcasts that collected replies while their quiet window was still running (the
   * time ran out, or the connection was lost): they were answered — `replied`, or `nak` if
   * every reply was a NAK — and must not be sent again.
   */
  settleCollecting(): void {
    for (const request of this.requests) {
      if (request.outcome === null && request.replies.length > 0) {
        request.outcome = quietOutcome(request);
      }
    }
  }

  /** Makes request `index` open and unsent again (a read about to be retried). */
  reopen(index: number): void {
    const request = this.requests[index]!;
    request.outcome = null;
    request.sentAtMs = null;
    request.lastActivityMs = null;
  }

  /** Whether every request has an outcome. */
  get done(): boolean {
    return this.requests.every((request) => request.outcome !== null);
  }
}

function quietOutcome(request: PendingRequest): Outcome {
  if (request.expectation.kind === "event") return "outcome_unknown";
  if (request.replies.length === 0) return "no_reply";
  return request.replies.every((reply) => reply.functionCode === NAK_FUNCTION) ? "nak" : "replied";
}

/** Outcome precedence, best first: a run's outcome is the worst of its telegrams'. */
const OUTCOME_RANK: Readonly<Record<Outcome, number>> = {
  replied: 0,
  unsupported: 1,
  nak: 2,
  no_reply: 3,
  outcome_unknown: 4,
};

/** The worse of two outcomes (`outcome_unknown` > `no_reply` > `nak` > `unsupported` > `replied`). */
export function worseOutcome(a: Outcome, b: Outcome): Outcome {
  return OUTCOME_RANK[b] > OUTCOME_RANK[a] ? b : a;
}
