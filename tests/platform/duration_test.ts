import assert from "node:assert/strict";
import { ConfigError } from "../../src/platform/config_error.ts";
import { formatDuration, MAX_TIMER_MS, parseDurationMs } from "../../src/platform/duration.ts";

const seconds = { name: "--timeout", unit: "s" } as const;
const millis = { name: "--quiet-ms", unit: "ms" } as const;

Deno.test("one syntax: unit suffixes, and plain numbers in the flag's own unit", () => {
  const cases: [unknown, typeof seconds | typeof millis, number][] = [
    ["500ms", seconds, 500],
    ["2s", seconds, 2000],
    ["1.5", seconds, 1500],
    [".5", seconds, 500],
    ["2", seconds, 2000],
    ["1m", seconds, 60_000],
    ["1h", seconds, 3_600_000],
    ["500", millis, 500],
    ["0.5s", millis, 500],
    [" 250ms ", millis, 250],
    [250, millis, 250],
    [1.5, seconds, 1500],
  ];
  for (const [value, spec, expected] of cases) {
    assert.equal(parseDurationMs(value, spec), expected, `${value} as ${spec.name}`);
  }
});

Deno.test("malformed values and values out of range are one-line ConfigErrors naming the flag", () => {
  const cases: [unknown, Parameters<typeof parseDurationMs>[1], RegExp][] = [
    [
      "soon",
      seconds,
      /^--timeout must be a duration like 500ms, 2s or a plain number of seconds, got "soon"$/,
    ],
    ["-1", seconds, /^--timeout must be a duration/],
    ["", seconds, /^--timeout must be a duration/],
    ["5 ms s", millis, /^--quiet-ms must be a duration .* milliseconds/],
    ["0", seconds, /^--timeout must be greater than 0 and at most /],
    [
      "61",
      { ...seconds, maxMs: 60_000 },
      /^--timeout must be greater than 0 and at most 60s, got "61"$/,
    ],
    ["10ms", { ...seconds, minMs: 50 }, /^--timeout must be at least 50ms/],
    [true, millis, /^--quiet-ms must be a duration .*, got true$/],
  ];
  for (const [value, spec, message] of cases) {
    assert.throws(
      () => parseDurationMs(value, spec),
      (error) => error instanceof ConfigError && message.test(error.message),
      `${value}: ${message}`,
    );
  }
});

Deno.test("zero is allowed only where the flag says so", () => {
  assert.equal(parseDurationMs("0", { name: "--min-gap-ms", unit: "ms", allowZero: true }), 0);
  assert.throws(() => parseDurationMs("0", millis), ConfigError);
});

Deno.test("a value beyond the longest timer (2^31-1 ms) is a usage error, not a timer that fires at once", () => {
  assert.equal(parseDurationMs(`${MAX_TIMER_MS}ms`, millis), MAX_TIMER_MS);
  for (
    const value of [`${MAX_TIMER_MS + 1}`, "600h", "3000000s"]
  ) {
    assert.throws(
      () => parseDurationMs(value, millis),
      (error) =>
        error instanceof ConfigError &&
        /is longer than the longest timer \(2147483647ms/.test(error.message),
      value,
    );
  }
  // A flag's own larger maximum never lifts the timer limit.
  assert.throws(() => parseDurationMs("1000h", { ...seconds, maxMs: Infinity }), /longest timer/);
});

Deno.test("formatDuration writes what parseDurationMs reads back", () => {
  for (const [ms, unit] of [[1500, "s"], [500, "s"], [60_000, "s"], [500, "ms"]] as const) {
    const text = formatDuration(ms, unit);
    assert.equal(parseDurationMs(text, { name: "x", unit }), ms, text);
  }
});
