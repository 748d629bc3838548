import assert from "node:assert/strict";
import {
  categoryForErrno,
  ConnectionError,
  type ErrorCategory,
  isErrorCategory,
  toConnectionError,
} from "../../src/resilience/errors.ts";

/** Every category, each once: `satisfies` fails to compile when one is missing. */
const ALL_CATEGORIES = Object.keys(
  {
    not_configured: true,
    refused: true,
    timeout: true,
    auth: true,
    protocol: true,
    closed: true,
    busy: true,
  } satisfies Record<ErrorCategory, true>,
) as ErrorCategory[];

const ERRNO_CATEGORIES = [
  ["ENOENT", "not_configured", false],
  ["ECONNREFUSED", "refused", true],
  ["ECONNRESET", "closed", true],
  ["EPIPE", "closed", true],
  ["EAGAIN", "busy", true],
  ["ETIMEDOUT", "timeout", true],
  ["EACCES", "auth", false],
  ["ENOTFOUND", "not_configured", false],
] as const;

for (const [code, category, recoverable] of ERRNO_CATEGORIES) {
  Deno.test(`errno ${code} maps to ${category} (recoverable: ${recoverable})`, () => {
    assert.equal(categoryForErrno(code), category);
    const error = toConnectionError(Object.assign(new Error(`connect ${code}`), { code }), "sway");
    assert.equal(error.category, category);
    assert.equal(error.recoverable, recoverable);
    assert.equal(error.message, `sway: connect ${code}`);
  });
}

Deno.test("an unknown errno code is null and becomes `closed`", () => {
  assert.equal(categoryForErrno("EWHATEVER"), null);
  const error = toConnectionError(Object.assign(new Error("odd"), { code: "EWHATEVER" }), "x");
  assert.equal(error.category, "closed");
});

Deno.test("recoverable defaults per category and can be overridden", () => {
  const recoverable = ALL_CATEGORIES.filter((category) =>
    new ConnectionError(category, "m").recoverable
  );
  assert.deepEqual(recoverable, ["refused", "timeout", "closed", "busy"]);
  assert.equal(new ConnectionError("timeout", "m", { recoverable: false }).recoverable, false);
});

Deno.test("isErrorCategory accepts exactly the categories", () => {
  assert.ok(ALL_CATEGORIES.every(isErrorCategory));
  for (const value of ["EAGAIN", "Busy", "", null, 3, "toString", "__proto__"]) {
    assert.equal(isErrorCategory(value), false, String(value));
  }
});

Deno.test("toConnectionError returns a ConnectionError unchanged and keeps the cause", () => {
  const original = new ConnectionError("auth", "kitty 1: rejected");
  assert.equal(toConnectionError(original, "ignored"), original);
  const raw = new Error("boom");
  const wrapped = toConnectionError(raw, "conbus");
  assert.equal(wrapped.cause, raw);
  assert.equal(wrapped.name, "ConnectionError");
  assert.equal(toConnectionError("plain string", "niri").message, "niri: plain string");
});
