import { checksumOf, isChecksumText } from "./checksum.ts";
import { latin1Decode, latin1Encode } from "./latin1.ts";
import type { EventTelegram, ReplyTelegram, SystemTelegram, Telegram } from "./telegram.ts";
import { TelegramError } from "./telegram_error.ts";

const SYSTEM_OR_REPLY = /^([SR])(.{10})F(.{2})D(.*)$/s;
const EVENT = /^([EO])(.{2})L(.{2})I(.{2})(.)$/s;

type Fields =
  | Omit<SystemTelegram, "body" | "checksum" | "frame">
  | Omit<ReplyTelegram, "body" | "checksum" | "frame">
  | Omit<EventTelegram, "body" | "checksum" | "frame">;

/**
 * Parses a telegram body (text between `<` and the checksum) into its fields.
 * Throws {@link TelegramError} saying which field is wrong.
 *
 * @example
 * ```ts
 * parseBody("S0020044964F02D12"); // { type: "S", serial: "0020044964", functionCode: "02", data: "12" }
 * ```
 */
export function parseBody(body: string): Fields {
  if (body.length === 0) throw new TelegramError("telegram body is empty", body);
  if (/[<>]/.test(body)) throw new TelegramError("telegram body must not contain < or >", body);
  const type = body[0]!;
  if (type === "S" || type === "R") return parseSystemOrReply(body);
  if (type === "E" || type === "O") return parseEvent(body);
  throw new TelegramError(
    `telegram type must be S, R, E or O, got "${type}"`,
    body,
  );
}

function parseSystemOrReply(body: string): Fields {
  const match = SYSTEM_OR_REPLY.exec(body);
  const serial = body.slice(1, 11);
  if (!/^\d{10}$/.test(serial)) {
    throw new TelegramError(`serial must be 10 digits, got "${serial}"`, body);
  }
  if (body[11] !== "F" || match === null) {
    throw new TelegramError(`expected "F" and a 2-digit function after the serial`, body);
  }
  const [, type, , functionCode, data] = match as unknown as [
    string,
    "S" | "R",
    string,
    string,
    string,
  ];
  if (!/^\d{2}$/.test(functionCode)) {
    throw new TelegramError(`function must be 2 digits, got "${functionCode}"`, body);
  }
  if (type === "S") {
    if (data.length < 2) {
      throw new TelegramError(
        `system telegram data must be at least 2 characters, got "${data}"`,
        body,
      );
    }
    return { type, serial, functionCode, data };
  }
  return { type, serial, functionCode, data };
}

function parseEvent(body: string): Fields {
  const match = EVENT.exec(body);
  if (match === null) {
    throw new TelegramError(
      `event telegram must look like ${body[0]}14L00I02M (type, L link, I input, M or B)`,
      body,
    );
  }
  const [, type, moduleType, link, input, action] = match as unknown as [
    string,
    "E" | "O",
    string,
    string,
    string,
    string,
  ];
  for (const [name, value] of [["module type", moduleType], ["link", link], ["input", input]]) {
    if (!/^\d{2}$/.test(value!)) {
      throw new TelegramError(`event ${name} must be 2 digits, got "${value}"`, body);
    }
  }
  if (action !== "M" && action !== "B") {
    throw new TelegramError(`event action must be M (make) or B (break), got "${action}"`, body);
  }
  return { type, moduleType, link, input, action };
}

/**
 * Builds a telegram from a body: parses it (so a bad body throws {@link TelegramError}) and adds
 * the checksum.
 *
 * @example
 * ```ts
 * telegramFromBody("S0020044964F02D12").frame; // "<S0020044964F02D12FJ>"
 * ```
 */
export function telegramFromBody(body: string): Telegram {
  const bytes = latin1Encode(body);
  if (bytes === null) {
    throw new TelegramError("telegram contains a character outside latin-1", body);
  }
  const fields = parseBody(body);
  const checksum = checksumOf(bytes);
  return { ...fields, body, checksum, frame: `<${body}${checksum}>` } as Telegram;
}

/**
 * Decodes one complete frame (`<` … `>`, as bytes) and verifies its checksum. Throws
 * {@link TelegramError}: "checksum FA expected, got FM", "serial must be 10 digits, …".
 *
 * @example
 * ```ts
 * decodeFrame(latin1Encode("<R0020044964F18DFA>")!).functionCode; // "18"
 * ```
 */
export function decodeFrame(frame: Uint8Array): Telegram {
  const text = latin1Decode(frame);
  if (frame.length < 4 || text[0] !== "<" || text[text.length - 1] !== ">") {
    throw new TelegramError("a frame is < body checksum > (at least 4 characters)", text);
  }
  const body = text.slice(1, -3);
  const received = text.slice(-3, -1);
  if (!isChecksumText(received)) {
    throw new TelegramError(`checksum must be two letters A-P, got "${received}"`, text);
  }
  const fields = parseBody(body);
  const expected = checksumOf(frame.subarray(1, frame.length - 3));
  if (expected !== received) {
    throw new TelegramError(`checksum ${expected} expected, got ${received}`, text);
  }
  return { ...fields, body, checksum: received, frame: text } as Telegram;
}

/**
 * Encodes a telegram's frame as the bytes to write (latin-1, one byte per character).
 *
 * @example
 * ```ts
 * encodeFrame(telegramFromBody("S0000000000F01D00")); // bytes of "<S0000000000F01D00FA>"
 * ```
 */
export function encodeFrame(telegram: Telegram): Uint8Array {
  return latin1Encode(telegram.frame)!;
}

/**
 * Parses a telegram typed by a user: a full frame (`<S0020044964F02D12FJ>`, checksum verified)
 * or a body (`S0020044964F02D12`, checksum added). Only what a client sends is accepted: `S`
 * (system) and `E`/`O` (event) telegrams; an `R` reply is what a module sends, so a client
 * sending one is a mistake. Throws {@link TelegramError}.
 *
 * @example
 * ```ts
 * parseTelegramArgument("S0020044964F02D12").frame; // "<S0020044964F02D12FJ>"
 * ```
 */
export function parseTelegramArgument(text: string): Telegram {
  const telegram = parseFrameOrBody(text.trim());
  if (telegram.type === "R") {
    throw new TelegramError(
      "an R telegram is a module's reply, not a request: send an S (system), E or O (event) telegram",
      telegram.frame,
    );
  }
  return telegram;
}

function parseFrameOrBody(trimmed: string): Telegram {
  if (trimmed.startsWith("<") || trimmed.endsWith(">")) {
    if (!trimmed.startsWith("<") || !trimmed.endsWith(">")) {
      throw new TelegramError("a full frame starts with < and ends with >", trimmed);
    }
    const bytes = latin1Encode(trimmed);
    if (bytes === null) {
      throw new TelegramError("telegram contains a character outside latin-1", trimmed);
    }
    return decodeFrame(bytes);
  }
  return telegramFromBody(trimmed);
}
