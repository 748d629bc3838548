import assert from "node:assert/strict";
import {
  controlErrorReply,
  ControlReplyError,
  decodeControlReply,
  decodeControlRequest,
  encodeControlReply,
} from "../../src/resilience/control_protocol.ts";
import { ConnectionError, type ErrorCategory } from "../../src/resilience/errors.ts";

const CATEGORIES: ErrorCategory[] = [
  "not_configured",
  "refused",
  "timeout",
  "auth",
  "protocol",
  "closed",
  "busy",
];

Deno.test("every category and recoverable survive encode then decode", () => {
  for (const category of CATEGORIES) {
    for (const recoverable of [true, false]) {
      const reply = controlErrorReply(new ConnectionError(category, "why", { recoverable }));
      const line = encodeControlReply(reply);
      assert.ok(line.endsWith("}\n") && !line.slice(0, -1).includes("\n"));
      assert.deepEqual(decodeControlReply(line.trimEnd()), {
        ok: false,
        error: { category, message: "why", recoverable },
      });
    }
  }
  assert.deepEqual(decodeControlReply(encodeControlReply({ ok: true, data: { a: [1] } })), {
    ok: true,
    data: { a: [1] },
  });
});

Deno.test("anything else a handler throws is a non-recoverable protocol error", () => {
  assert.deepEqual(controlErrorReply(new TypeError("bad telegram")), {
    ok: false,
    error: { category: "protocol", message: "bad telegram", recoverable: false },
  });
  assert.deepEqual(controlErrorReply("plain"), {
    ok: false,
    error: { category: "protocol", message: "plain", recoverable: false },
  });
});

Deno.test("the old string error form reads as a non-recoverable protocol error", () => {
  assert.deepEqual(decodeControlReply('{"ok":false,"error":"busy: 3 clients connected"}'), {
    ok: false,
    error: { category: "protocol", message: "busy: 3 clients connected", recoverable: false },
  });
});

Deno.test("malformed replies are rejected (null), never guessed", () => {
  const malformed = [
    "",
    "not json",
    "null",
    "[]",
    '"ok"',
    "{}",
    '{"ok":"true","data":1}',
    '{"ok":false}',
    '{"ok":false,"error":null}',
    '{"ok":false,"error":42}',
    '{"ok":false,"error":{"message":"m","recoverable":true}}',
    '{"ok":false,"error":{"category":"EAGAIN","message":"m","recoverable":true}}',
    '{"ok":false,"error":{"category":"toString","message":"m","recoverable":true}}',
    '{"ok":false,"error":{"category":"busy","recoverable":true}}',
    '{"ok":false,"error":{"category":"busy","message":"m"}}',
    '{"ok":false,"error":{"category":"busy","message":"m","recoverable":"yes"}}',
  ];
  for (const line of malformed) assert.equal(decodeControlReply(line), null, line);
});

Deno.test("requests: an object with a string cmd, arguments kept; anything else is refused", () => {
  assert.deepEqual(decodeControlRequest('{"cmd":"send","quiet_ms":500}'), {
    ok: true,
    request: { cmd: "send", quiet_ms: 500 },
  });
  for (const line of ["nope", "[1]", '["cmd"]', "null", '{"cmd":1}', "{}"]) {
    const decoded = decodeControlRequest(line);
    assert.equal(decoded.ok, false, line);
    assert.equal(!decoded.ok && decoded.error.category, "protocol");
  }
});

Deno.test("ControlReplyError keeps the daemon's words apart from its context", () => {
  const error = new ControlReplyError("tether conbus serve", {
    category: "busy",
    message: "64 requests already waiting",
    recoverable: false,
  });
  assert.ok(error instanceof ConnectionError);
  assert.equal(error.message, "tether conbus serve: 64 requests already waiting");
  assert.equal(error.reason, "64 requests already waiting");
  assert.equal(error.category, "busy");
  assert.equal(error.recoverable, false);
});
