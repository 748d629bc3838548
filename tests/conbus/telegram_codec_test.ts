import assert from "node:assert/strict";
import {
  decodeFrame,
  encodeFrame,
  parseBody,
  parseTelegramArgument,
  telegramFromBody,
} from "../../src/conbus/telegram_codec.ts";
import { TelegramError } from "../../src/conbus/telegram_error.ts";
import { bytes, REAL_CAPTURE_FRAMES, seededRandom } from "./vectors.ts";

Deno.test("every real-capture frame decodes with a verified checksum", () => {
  for (const frame of REAL_CAPTURE_FRAMES) {
    const telegram = decodeFrame(bytes(frame));
    assert.equal(telegram.frame, frame);
    assert.equal(telegram.type, frame[1]);
  }
});

Deno.test("decodes the fields of S, R, E and O telegrams", () => {
  assert.deepEqual(
    { ...decodeFrame(bytes("<S0020044964F27D03ABFN>")) },
    {
      type: "S",
      serial: "0020044964",
      functionCode: "27",
      data: "03AB",
      body: "S0020044964F27D03AB",
      checksum: "FN",
      frame: "<S0020044964F27D03ABFN>",
    },
  );
  const reply = decodeFrame(bytes("<R0020012521F02D18+26,0\u00a7CIL>"));
  assert.equal(reply.type === "R" && reply.data, "18+26,0\u00a7C");
  const ack = decodeFrame(bytes("<R0020044964F18DFA>"));
  assert.equal(ack.type === "R" && ack.data, "");
  const event = decodeFrame(bytes("<E07L06I80BAL>"));
  assert.deepEqual(
    event.type === "E" && [event.moduleType, event.link, event.input, event.action],
    ["07", "06", "80", "B"],
  );
  assert.equal(decodeFrame(bytes("<O06L00I07MAG>")).type, "O");
});

Deno.test("a wrong checksum says which was expected and which arrived", () => {
  assert.throws(
    () => decodeFrame(bytes("<S0000000000F01D00FM>")),
    (error) =>
      error instanceof TelegramError && error.message === "checksum FA expected, got FM" &&
      error.input === "<S0000000000F01D00FM>",
  );
});

Deno.test("a short serial is reported as such", () => {
  assert.throws(
    () => parseBody("S12345F02D12"),
    { name: "TelegramError", message: 'serial must be 10 digits, got "12345F02D1"' },
  );
});

Deno.test("bad bodies are rejected with the field that is wrong", () => {
  const cases: [string, RegExp][] = [
    ["", /empty/],
    ["X0020044964F02D12", /type must be S, R, E or O/],
    ["S0020044964G02D12", /"F" and a 2-digit function/],
    ["S0020044964FA2D12", /function must be 2 digits/],
    ["S0020044964F02D1", /at least 2 characters/],
    ["S0020044964F02X12", /"F" and a 2-digit function/],
    ["E1AL00I02M", /module type must be 2 digits/],
    ["E14L00I02X", /action must be M \(make\) or B \(break\)/],
    ["E14L00I02", /must look like/],
    ["S0020044964F02D1<2", /must not contain/],
  ];
  for (const [body, message] of cases) {
    assert.throws(() => parseBody(body), { name: "TelegramError", message }, body);
  }
});

Deno.test("bad frames are rejected", () => {
  assert.throws(() => decodeFrame(bytes("<>")), /at least 4 characters/);
  assert.throws(() => decodeFrame(bytes("S0000000000F01D00FA")), /at least 4|< body/);
  assert.throws(() => decodeFrame(bytes("<S0000000000F01D00F1>")), /two letters A-P/);
});

Deno.test("built frames match the documented test vectors", () => {
  assert.equal(telegramFromBody("S0012345011F02D02").frame, "<S0012345011F02D02FA>");
  assert.equal(telegramFromBody("S2113010000F02D12").frame, "<S2113010000F02D12FA>");
  assert.deepEqual(encodeFrame(telegramFromBody("E14L00I02M")), bytes("<E14L00I02MAK>"));
});

Deno.test("a user argument may be a body (checksum added) or a full frame (checksum checked)", () => {
  assert.equal(parseTelegramArgument("S0020044964F02D12").frame, "<S0020044964F02D12FJ>");
  assert.equal(parseTelegramArgument(" <S0020044964F02D12FJ> ").frame, "<S0020044964F02D12FJ>");
  assert.throws(() => parseTelegramArgument("<S0020044964F02D12FA>"), /FJ expected, got FA/);
  assert.throws(() => parseTelegramArgument("<S0020044964F02D12FJ"), /starts with < and ends/);
  assert.throws(() => parseTelegramArgument("S0020044964F02D\u20ac1"), /outside latin-1/);
});

Deno.test("a user argument may not be an R telegram (a module's reply), as body or as frame", () => {
  for (const text of ["R0020044964F18D", "<R0020044964F18DFA>"]) {
    assert.throws(
      () => parseTelegramArgument(text),
      (error) =>
        error instanceof TelegramError && error.input === "<R0020044964F18DFA>" &&
        /an R telegram is a module's reply, not a request/.test(error.message),
    );
  }
  assert.equal(parseTelegramArgument("E14L00I02M").type, "E");
  assert.equal(parseTelegramArgument("<O06L00I07MAG>").type, "O");
});

function randomBody(random: () => number): string {
  const digits = (count: number) =>
    Array.from({ length: count }, () => String(Math.floor(random() * 10))).join("");
  const dataChars = () =>
    Array.from(
      { length: 2 + Math.floor(random() * 20) },
      () => {
        let code: number;
        do code = 0x20 + Math.floor(random() * 0xe0); while (code === 0x3c || code === 0x3e);
        return String.fromCharCode(code);
      },
    ).join("");
  switch (Math.floor(random() * 3)) {
    case 0:
      return `S${digits(10)}F${digits(2)}D${dataChars()}`;
    case 1:
      return `R${digits(10)}F${digits(2)}D${dataChars()}`;
    default:
      return `${random() < 0.5 ? "E" : "O"}${digits(2)}L${digits(2)}I${digits(2)}${
        random() < 0.5 ? "M" : "B"
      }`;
  }
}

Deno.test("property: build then parse round-trips 2,000 random telegrams (incl. bytes >= 0x80)", () => {
  const random = seededRandom(20261122);
  for (let run = 0; run < 2000; run++) {
    const body = randomBody(random);
    const built = telegramFromBody(body);
    const parsed = decodeFrame(encodeFrame(built));
    assert.deepEqual({ ...parsed }, { ...built }, body);
  }
});
