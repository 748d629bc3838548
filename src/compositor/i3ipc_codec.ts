import { ConnectionError } from "../resilience/errors.ts";

/**
 * The i3/sway IPC wire format (sway-ipc(7), i3 docs/ipc): a 14-byte header — the six ASCII
 * bytes `i3-ipc`, the payload length as u32, the message type as u32 — then the payload.
 * Both integers are in the compositor's **native** byte order; tether runs on the same machine,
 * so native order is ours: little-endian on x86_64 and aarch64 (detected at runtime, see
 * {@link NATIVE_LITTLE_ENDIAN}). Replies reuse the request's type; events have the high bit set.
 * Pure: bytes in, values out.
 */

/** The six magic bytes that start every i3-ipc message. */
const I3IPC_MAGIC = "i3-ipc";

/** Header length in bytes: magic (6) + payload length (4) + type (4). */
export const I3IPC_HEADER_BYTES = 14;

/** Whether this machine (and so the compositor on it) is little-endian; true on x86_64. */
export const NATIVE_LITTLE_ENDIAN: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Default bound on one payload: far above a real GET_TREE, small enough to stop garbage. */
const DEFAULT_MAX_PAYLOAD_BYTES = 32 * 1024 * 1024;

/** Request (and reply) message types shared by i3 and sway; the last two exist on sway only. */
export const MessageType = {
  RUN_COMMAND: 0,
  GET_WORKSPACES: 1,
  SUBSCRIBE: 2,
  GET_OUTPUTS: 3,
  GET_TREE: 4,
  GET_MARKS: 5,
  GET_BAR_CONFIG: 6,
  GET_VERSION: 7,
  GET_BINDING_MODES: 8,
  GET_CONFIG: 9,
  SEND_TICK: 10,
  SYNC: 11,
  GET_BINDING_STATE: 12,
  GET_INPUTS: 100,
  GET_SEATS: 101,
} as const;

/** The high bit that marks a message as an event rather than a reply. */
const EVENT_BIT = 0x80000000;

/** Event types, keyed by the name used in a SUBSCRIBE payload (`["window","workspace"]`). */
export const EventType = {
  workspace: 0x80000000,
  output: 0x80000001,
  mode: 0x80000002,
  window: 0x80000003,
  barconfig_update: 0x80000004,
  binding: 0x80000005,
  shutdown: 0x80000006,
  tick: 0x80000007,
  bar_state_update: 0x80000014,
  input: 0x80000015,
} as const;

/** A SUBSCRIBE event name such as `window`. */
export type EventName = keyof typeof EventType;

const EVENT_NAME_BY_TYPE = new Map<number, EventName>(
  Object.entries(EventType).map(([name, type]) => [type, name as EventName]),
);

/** Whether a message type is an event (high bit set). */
export function isEventType(type: number): boolean {
  return type >= EVENT_BIT;
}

/** The SUBSCRIBE name of an event type (`0x80000003` -> `window`), or null if unknown. */
export function eventName(type: number): EventName | null {
  return EVENT_NAME_BY_TYPE.get(type) ?? null;
}

/** One decoded message: a reply (type = the request's) or an event (high bit set). */
export interface I3IpcMessage {
  /** The raw u32 type. */
  type: number;
  /** Whether it is an event. */
  isEvent: boolean;
  /** The payload as text (UTF-8; JSON for replies and events). */
  payload: string;
}

const encoder = new TextEncoder();
const MAGIC_BYTES = encoder.encode(I3IPC_MAGIC);

/**
 * Frames one message. `payload` is a command string (RUN_COMMAND), a JSON array text
 * (SUBSCRIBE) or empty.
 *
 * @example
 * ```ts
 * encodeMessage(MessageType.GET_VERSION); // 14 bytes: "i3-ipc" 00000000 07000000
 * encodeMessage(MessageType.SUBSCRIBE, '["window"]');
 * ```
 */
export function encodeMessage(
  type: number,
  payload: string | Uint8Array = "",
  littleEndian: boolean = NATIVE_LITTLE_ENDIAN,
): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xffffffff) {
    throw new RangeError(`i3-ipc message type must be a u32, got ${type}`);
  }
  const body = typeof payload === "string" ? encoder.encode(payload) : payload;
  const frame = new Uint8Array(I3IPC_HEADER_BYTES + body.length);
  frame.set(MAGIC_BYTES, 0);
  const view = new DataView(frame.buffer);
  view.setUint32(6, body.length, littleEndian);
  view.setUint32(10, type, littleEndian);
  frame.set(body, I3IPC_HEADER_BYTES);
  return frame;
}

/** Options for {@link I3IpcDecoder}. */
export interface I3IpcDecoderOptions {
  /** Largest accepted payload; a bigger declared length is a protocol error. Default 32 MiB. */
  maxPayloadBytes?: number;
  /** Byte order of the length and type fields. Default: native. */
  littleEndian?: boolean;
}

/**
 * Incremental decoder for a byte stream: feed it chunks as they arrive, get back every
 * message completed so far. A wrong magic, an oversized length or a payload that is not
 * UTF-8 throws a `protocol` {@link ConnectionError}; after that the stream is unusable.
 *
 * @example
 * ```ts
 * const decoder = new I3IpcDecoder();
 * for (const message of decoder.push(chunk)) console.log(message.type, message.payload);
 * ```
 */
export class I3IpcDecoder {
  readonly #maxPayloadBytes: number;
  readonly #littleEndian: boolean;
  readonly #utf8 = new TextDecoder("utf-8", { fatal: true });
  #buffer: Uint8Array = new Uint8Array(0);
  #failed: ConnectionError | null = null;

  constructor(options: I3IpcDecoderOptions = {}) {
    this.#maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.#littleEndian = options.littleEndian ?? NATIVE_LITTLE_ENDIAN;
  }

  /** Bytes received but not yet part of a complete message. */
  get bufferedBytes(): number {
    return this.#buffer.length;
  }

  /** Appends a chunk and returns the messages it completed, in order. */
  push(chunk: Uint8Array): I3IpcMessage[] {
    if (this.#failed) throw this.#failed;
    this.#buffer = this.#buffer.length === 0 ? chunk.slice() : concat(this.#buffer, chunk);
    const messages: I3IpcMessage[] = [];
    let offset = 0;
    try {
      while (this.#buffer.length - offset >= I3IPC_HEADER_BYTES) {
        this.#checkMagic(offset);
        const view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset + offset);
        const length = view.getUint32(6, this.#littleEndian);
        const type = view.getUint32(10, this.#littleEndian);
        if (length > this.#maxPayloadBytes) {
          throw new ConnectionError(
            "protocol",
            `i3-ipc message declares ${length} payload bytes, more than the ${this.#maxPayloadBytes} allowed`,
          );
        }
        const end = offset + I3IPC_HEADER_BYTES + length;
        if (this.#buffer.length < end) break;
        messages.push({
          type,
          isEvent: isEventType(type),
          payload: this.#decodeText(this.#buffer.subarray(offset + I3IPC_HEADER_BYTES, end), type),
        });
        offset = end;
      }
    } catch (error) {
      this.#failed = error as ConnectionError;
      this.#buffer = new Uint8Array(0);
      throw error;
    }
    this.#buffer = this.#buffer.slice(offset);
    // A partial header must already match the magic as far as it goes: fail early on garbage.
    if (this.#buffer.length > 0 && this.#buffer.length < I3IPC_HEADER_BYTES) {
      for (let i = 0; i < Math.min(this.#buffer.length, MAGIC_BYTES.length); i++) {
        if (this.#buffer[i] !== MAGIC_BYTES[i]) {
          this.#failed = badMagic(this.#buffer.subarray(0, MAGIC_BYTES.length));
          throw this.#failed;
        }
      }
    }
    return messages;
  }

  #checkMagic(offset: number): void {
    for (let i = 0; i < MAGIC_BYTES.length; i++) {
      if (this.#buffer[offset + i] !== MAGIC_BYTES[i]) {
        throw badMagic(this.#buffer.subarray(offset, offset + MAGIC_BYTES.length));
      }
    }
  }

  #decodeText(bytes: Uint8Array, type: number): string {
    try {
      return this.#utf8.decode(bytes);
    } catch {
      throw new ConnectionError("protocol", `i3-ipc message of type ${type} is not valid UTF-8`);
    }
  }
}

/**
 * Parses a message payload as JSON; malformed JSON is a `protocol` {@link ConnectionError}.
 *
 * @example
 * ```ts
 * const version = parsePayload<{ human_readable: string }>(reply);
 * ```
 */
export function parsePayload<T = unknown>(message: I3IpcMessage): T {
  try {
    return JSON.parse(message.payload) as T;
  } catch {
    const name = message.isEvent ? `event ${eventName(message.type) ?? message.type}` : `reply`;
    throw new ConnectionError(
      "protocol",
      `i3-ipc ${name} of type ${message.type} is not valid JSON`,
    );
  }
}

function badMagic(bytes: Uint8Array): ConnectionError {
  const shown = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
  return new ConnectionError(
    "protocol",
    `i3-ipc stream does not start with "i3-ipc" (got ${shown}); is this a sway or i3 socket?`,
  );
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}
