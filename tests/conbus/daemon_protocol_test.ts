import assert from "node:assert/strict";
import { parseSendRequest } from "../../src/conbus/daemon_protocol.ts";

Deno.test("a send request parses into telegrams, timeouts and the bridge asked for", () => {
  const send = parseSendRequest({
    cmd: "send",
    telegrams: ["S0020044964F02D12", "<E14L00I02MAK>"],
    timeout_ms: 2000,
    quiet_ms: 500,
    host: "127.0.0.1",
    port: 10001,
  });
  assert.deepEqual(send.telegrams.map((telegram) => telegram.frame), [
    "<S0020044964F02D12FJ>",
    "<E14L00I02MAK>",
  ]);
  assert.deepEqual([send.timeoutMs, send.quietMs, send.host, send.port], [
    2000,
    500,
    "127.0.0.1",
    10001,
  ]);
  const bare = parseSendRequest({
    cmd: "send",
    telegrams: ["S0020044964F02D12"],
    timeout_ms: 1,
    quiet_ms: 1,
  });
  assert.deepEqual([bare.host, bare.port], [undefined, undefined]);
});

Deno.test("a bad send request is refused with a message that names the field or the telegram", () => {
  const base = { cmd: "send", telegrams: ["S0020044964F02D12"], timeout_ms: 2000, quiet_ms: 500 };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ telegrams: [] }, /^"telegrams" must be a non-empty array of strings$/],
    [{ telegrams: "S0020044964F02D12" }, /^"telegrams" must be a non-empty array/],
    [
      { telegrams: ["<S0020044964F02D12FA>"] },
      /^<S0020044964F02D12FA>: checksum FJ expected, got FA$/,
    ],
    [{ telegrams: ["R0020044964F18D"] }, /^<R0020044964F18DFA>: an R telegram is a module's reply/],
    [{ timeout_ms: 0 }, /^"timeout_ms" must be > 0$/],
    [{ quiet_ms: "500" }, /^"quiet_ms" must be > 0$/],
  ];
  for (const [change, message] of cases) {
    assert.throws(
      () => parseSendRequest({ ...base, ...change }),
      { message },
      JSON.stringify(change),
    );
  }
});
