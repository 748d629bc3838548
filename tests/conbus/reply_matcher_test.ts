import assert from "node:assert/strict";
import {
  expectationFor,
  isRetrySafe,
  ReplyMatcher,
  worseOutcome,
} from "../../src/conbus/reply_matcher.ts";
import { decodeFrame, telegramFromBody } from "../../src/conbus/telegram_codec.ts";
import { bytes } from "./vectors.ts";

const frame = (text: string) => decodeFrame(bytes(text));
const body = telegramFromBody;

Deno.test("expectations: targeted read, write, broadcast, event", () => {
  assert.deepEqual(expectationFor(body("S0020044964F02D12")), {
    kind: "read",
    serial: "0020044964",
    functionCode: "02",
    datapoint: "12",
  });
  assert.deepEqual(expectationFor(body("S0020044964F27D03AB")), {
    kind: "write",
    serial: "0020044964",
  });
  assert.deepEqual(expectationFor(body("S0000000000F01D00")), {
    kind: "broadcast",
    functionCode: "01",
    datapoint: null,
  });
  assert.deepEqual(expectationFor(body("E14L00I02M")), { kind: "event" });
});

Deno.test("only reads are retry-safe", () => {
  assert.ok(isRetrySafe(body("S0020044964F02D12")));
  assert.ok(isRetrySafe(body("S0000000000F01D00")));
  assert.ok(!isRetrySafe(body("S0020044964F27D03AB")));
  assert.ok(!isRetrySafe(body("E14L00I02M")));
});

Deno.test("pipelined reads answered out of order go to the right request", () => {
  const matcher = new ReplyMatcher([body("S0020044964F02D12"), body("S0020030837F02D02")], {
    quietMs: 500,
  });
  matcher.markSent(0, 0);
  matcher.markSent(1, 0);
  assert.deepEqual(matcher.receive(frame("<R0020030837F02D02XP230_V1.00.04FI>"), 30), {
    kind: "reply",
    index: 1,
  });
  assert.equal(matcher.done, false);
  assert.deepEqual(matcher.receive(frame("<R0020044964F02D12xxxx1110FJ>"), 60), {
    kind: "reply",
    index: 0,
  });
  assert.equal(matcher.done, true);
  assert.deepEqual(matcher.requests.map((request) => request.outcome), ["replied", "replied"]);
});

Deno.test("a reply for another datapoint of the same module is not taken", () => {
  const matcher = new ReplyMatcher([body("S0020044964F02D12")], { quietMs: 500 });
  matcher.markSent(0, 0);
  assert.deepEqual(matcher.receive(frame("<R0020044966F02D18+28,5\u00a7CIM>"), 10), {
    kind: "event",
  });
  assert.equal(matcher.requests[0]!.outcome, null);
});

Deno.test("?? is reported as unsupported, F19 as nak, F18 as replied", () => {
  const matcher = new ReplyMatcher([
    body("S0020044966F02D19"),
    body("S0020044966F00D00"),
    body("S0020044964F27D00AA"),
  ], { quietMs: 500 });
  for (const index of [0, 1, 2]) matcher.markSent(index, 0);
  matcher.receive(telegramFromBody("R0020044966F02D19??"), 10);
  matcher.receive(frame("<R0020044966F19DFD>"), 20);
  matcher.receive(frame("<R0020044964F18DFA>"), 30);
  assert.deepEqual(matcher.requests.map((request) => request.outcome), [
    "unsupported",
    "nak",
    "replied",
  ]);
});

Deno.test("events are never taken as replies, even while a read waits", () => {
  const matcher = new ReplyMatcher([body("S0020044964F02D12")], { quietMs: 500 });
  matcher.markSent(0, 0);
  assert.deepEqual(matcher.receive(frame("<E07L06I83MAH>"), 5), { kind: "event" });
  assert.equal(matcher.requests[0]!.outcome, null);
});

Deno.test("a reply before its request was written is not matched", () => {
  const matcher = new ReplyMatcher([body("S0020044964F02D12")], { quietMs: 500 });
  assert.deepEqual(matcher.receive(frame("<R0020044964F02D12xxxx1110FJ>"), 0), {
    kind: "event",
  });
});

Deno.test("discover collects replies until the quiet window passes after the last one", () => {
  const matcher = new ReplyMatcher([body("S0000000000F01D00")], { quietMs: 500 });
  matcher.markSent(0, 0);
  assert.equal(matcher.settleQuiet(100), 500);
  matcher.receive(frame("<R0020030837F01DFM>"), 260);
  assert.equal(matcher.settleQuiet(600), 760);
  assert.equal(matcher.done, false);
  assert.equal(matcher.settleQuiet(760), null);
  assert.equal(matcher.requests[0]!.outcome, "replied");
  assert.equal(matcher.requests[0]!.replies.length, 1);
});

Deno.test("settleCollecting: a broadcast cut off mid-window with replies is replied (all NAKs: nak); others stay open", () => {
  const discover = new ReplyMatcher([body("S0000000000F01D00"), body("S0000000000F02D12")], {
    quietMs: 500,
  });
  discover.markSent(0, 0);
  discover.markSent(1, 0);
  discover.receive(frame("<R0020030837F01DFM>"), 40);
  discover.settleCollecting();
  assert.deepEqual(discover.requests.map((request) => request.outcome), ["replied", null]);

  const action = new ReplyMatcher([body("S0000000000F27D00AA"), body("S0020044964F02D12")], {
    quietMs: 500,
  });
  action.markSent(0, 0);
  action.markSent(1, 0);
  action.receive(frame("<R0020044966F19DFD>"), 50);
  action.settleCollecting();
  assert.deepEqual(action.requests.map((request) => request.outcome), ["nak", null]);
});

Deno.test("a broadcast with no replies ends as no_reply; an event telegram as outcome_unknown", () => {
  const matcher = new ReplyMatcher([body("S0000000000F01D00"), body("E14L00I02M")], {
    quietMs: 500,
  });
  matcher.markSent(0, 0);
  matcher.markSent(1, 0);
  matcher.settleQuiet(500);
  assert.deepEqual(matcher.requests.map((request) => request.outcome), [
    "no_reply",
    "outcome_unknown",
  ]);
});

Deno.test("bus events do not extend an event telegram's quiet window", () => {
  const matcher = new ReplyMatcher([body("E14L00I02M")], { quietMs: 500 });
  matcher.markSent(0, 0);
  assert.deepEqual(matcher.receive(frame("<E07L06I80BAL>"), 300), { kind: "event" });
  assert.deepEqual(matcher.receive(frame("<E14L00I02MAK>"), 450), { kind: "event" });
  assert.equal(matcher.settleQuiet(460), 500);
  assert.equal(matcher.settleQuiet(500), null);
  assert.equal(matcher.requests[0]!.outcome, "outcome_unknown");
});

Deno.test("two identical reads take replies in send order", () => {
  const matcher = new ReplyMatcher([body("S0020044964F02D12"), body("S0020044964F02D12")], {
    quietMs: 500,
  });
  matcher.markSent(0, 0);
  matcher.markSent(1, 0);
  assert.deepEqual(matcher.receive(frame("<R0020044964F02D12xxxx1110FJ>"), 1), {
    kind: "reply",
    index: 0,
  });
  assert.deepEqual(matcher.receive(frame("<R0020044964F02D12xxxx1110FJ>"), 2), {
    kind: "reply",
    index: 1,
  });
});

Deno.test("the overall outcome is the worst one", () => {
  const ordered = ["replied", "unsupported", "nak", "no_reply", "outcome_unknown"] as const;
  for (const [i, a] of ordered.entries()) {
    for (const [j, b] of ordered.entries()) {
      assert.equal(worseOutcome(a, b), ordered[Math.max(i, j)], `${a} vs ${b}`);
    }
  }
});
