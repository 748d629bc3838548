import assert from "node:assert/strict";
import {
  decideFromFirstContact,
  describePooling,
  firstContactCommand,
  POOLING_SAFE_SINCE,
  poolingForVersion,
} from "../../src/kitty/pooling.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { NEWER_THAN_KITTY } from "../fakes/kitty_server.ts";

const REJECTED = {
  ok: false,
  error:
    "The user rejected this password or it is disallowed by remote_control_password in kitty.conf",
};
const SOURCE = "/usr/lib/kitty/kitty/constants.py";
const isCategory = (category: string) => (error: unknown) =>
  error instanceof ConnectionError && error.category === category;

Deno.test("pooling by version: exactly kitty >= 0.42.2", () => {
  assert.deepEqual(POOLING_SAFE_SINCE, [0, 42, 2]);
  const pooled = (version: [number, number, number]) => poolingForVersion(version, SOURCE).pooled;
  assert.equal(pooled([0, 26, 5]), false);
  assert.equal(pooled([0, 42, 1]), false);
  assert.equal(pooled([0, 42, 2]), true);
  assert.equal(pooled([0, 42, 10]), true);
  assert.equal(pooled([0, 43, 0]), true);
  assert.equal(pooled([1, 0, 0]), true);
});

Deno.test("first contact: the 0.43 ls when the version is unknown, the 0.99 ls otherwise", () => {
  assert.deepEqual(firstContactCommand(false), { cmd: "ls", version: [0, 43, 0] });
  assert.deepEqual(firstContactCommand(true), { cmd: "ls", version: [0, 99, 0] });
});

Deno.test("first contact without a version: the reply decides (heuristic)", () => {
  const unknown = { unknownBecause: "no kitty/fast_data_types.so" };
  assert.deepEqual(decideFromFirstContact({ ok: true, data: "[]" }, "kitty 1", unknown), {
    basis: "reply",
    pooled: true,
    unknownBecause: unknown.unknownBecause,
  });
  assert.equal(decideFromFirstContact(NEWER_THAN_KITTY, "kitty 1", unknown).pooled, false);
  assert.throws(() => decideFromFirstContact(REJECTED, "kitty 1", unknown), isCategory("auth"));
  assert.throws(
    () => decideFromFirstContact({ ok: false, error: "boom" }, "kitty 1", unknown),
    isCategory("protocol"),
  );
});

Deno.test("first contact with a version: 'newer' proves the password, the version decides", () => {
  const decision = poolingForVersion([0, 26, 5], SOURCE);
  assert.equal(decideFromFirstContact(NEWER_THAN_KITTY, "kitty 1", { decision }), decision);
  assert.throws(
    () => decideFromFirstContact(REJECTED, "kitty 1", { decision }),
    isCategory("auth"),
  );
  // 0.99 accepted would be a kitty that does not check versions as expected.
  assert.throws(
    () => decideFromFirstContact({ ok: true, data: "[]" }, "kitty 1", { decision }),
    isCategory("protocol"),
  );
});

Deno.test("describePooling says what the decision rests on", () => {
  assert.match(describePooling(null), /unknown/);
  assert.equal(
    describePooling(poolingForVersion([0, 26, 5], SOURCE)),
    `not pooled: kitty 0.26.5 (from ${SOURCE}) < 0.42.2 starves other clients while a ` +
      "connection idles, so each burst of commands closes its connection",
  );
  assert.match(describePooling(poolingForVersion([0, 42, 2], SOURCE)), /^pooled: kitty 0\.42\.2/);
  assert.match(
    describePooling({ basis: "reply", pooled: false, unknownBecause: "a frozen build" }),
    /^not pooled: kitty < 0\.43 .*version unreadable: a frozen build; judged by kitty's reply/,
  );
});
