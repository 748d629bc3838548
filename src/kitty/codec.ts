import { ConnectionError } from "../resilience/errors.ts";

/**
 * The protocol version tether sends: what `kitten @` has sent since kitty 0.27, accepted by
 * every kitty >= 0.26 (the first with encrypted passwords). kitty compares only
 * `[major, minor]` and rejects a newer one.
 */
export const KITTY_PROTOCOL_VERSION: readonly [number, number, number] = [0, 26, 0];

/** Bytes that open every request and response: `ESC P @kitty-cmd`. */
const FRAME_PREFIX = "\x1bP@kitty-cmd";

/** Bytes that close every request and response: `ESC \`. */
const FRAME_SUFFIX = "\x1b\\";

/**
 * Largest frame tether sends. kitty stops reading from a peer whose undispatched data reaches
 * 64 KiB (the connection is then reset), so stay below it.
 */
const MAX_REQUEST_FRAME_BYTES = 60 * 1024;

/**
 * Largest response frame accepted while waiting for its terminator. `ls` of a very busy kitty is
 * a few hundred KiB at most; anything past this is a peer that is not kitty.
 */
export const MAX_RESPONSE_FRAME_BYTES = 16 * 1024 * 1024;

/** A remote-control command object; field names are kitty's wire names. */
export interface KittyCommand {
  /** Command name (`set-font-size`, `ls`; `-` and `_` are equivalent to kitty). */
  cmd: string;
  /** Protocol version; without it kitty silently drops the message. */
  version: readonly number[];
  /** Command-specific arguments. */
  payload?: Record<string, unknown>;
  /** When true kitty writes nothing back, not even an error. */
  no_response?: boolean;
}

/** `set-font-size` arguments, as kitty reads them from the payload. */
export interface SetFontSizePayload {
  /** Points (>= 0); 0 resets to the configured size whatever the operator. */
  size: number;
  /** `+`/`-` make `size` a change; absent makes it an absolute size. */
  increment_op?: "+" | "-";
  /** Every OS window (and the default for new ones) instead of the active one. */
  all?: boolean;
}

/** A decoded response: `{"ok":true,"data"?:…}` or `{"ok":false,"error":…,"tb"?:…}`. */
export interface KittyResponse {
  /** Whether kitty ran the command. */
  ok: boolean;
  /** The command's result (`ls`: a string holding JSON). */
  data?: unknown;
  /** kitty's error message when `ok` is false. */
  error?: string;
  /** A Python traceback kitty adds when the command raised. */
  tb?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * JSON with every non-ASCII character escaped as `\uXXXX`, as kitty's own clients send it, so
 * a frame is pure ASCII and can never contain a raw ESC.
 *
 * @example
 * ```ts
 * toAsciiJson({ title: "héllo" }); // '{"title":"h\\u00e9llo"}'
 * ```
 */
export function toAsciiJson(value: unknown): string {
  // JSON.stringify already escapes control characters (including ESC as \u001b).
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (char) => "\\u" + char.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/**
 * Frames any JSON-serialisable object as one request: `ESC P @kitty-cmd <json> ESC \`.
 * Throws a RangeError for frames kitty would refuse as too large.
 *
 * @example
 * ```ts
 * encodeCommand(lsCommand()); // bytes of '\x1bP@kitty-cmd{"cmd":"ls","version":[0,26,0]}\x1b\\'
 * ```
 */
export function encodeCommand(message: object): Uint8Array {
  const bytes = encoder.encode(FRAME_PREFIX + toAsciiJson(message) + FRAME_SUFFIX);
  if (bytes.length > MAX_REQUEST_FRAME_BYTES) {
    throw new RangeError(
      `kitty command frame is ${bytes.length} bytes; kitty resets connections at 64 KiB`,
    );
  }
  return bytes;
}

/**
 * A `set-font-size` command changing the size by `deltaPt` points (positive grows, negative
 * shrinks) in the active OS window, or in every one with `all`. A zero delta is a RangeError:
 * kitty would read `size: 0` as "reset to the configured size".
 *
 * @example
 * ```ts
 * fontSizeChangeCommand(-3);
 * // {cmd: "set-font-size", version: [0,26,0], payload: {size: 3, increment_op: "-", all: false}}
 * ```
 */
export function fontSizeChangeCommand(
  deltaPt: number,
  options: { all?: boolean } = {},
): KittyCommand {
  if (!Number.isFinite(deltaPt) || deltaPt === 0) {
    throw new RangeError(`font size change must be a non-zero number of points, got ${deltaPt}`);
  }
  return setFontSizeCommand({
    size: Math.abs(deltaPt),
    increment_op: deltaPt > 0 ? "+" : "-",
    all: options.all ?? false,
  });
}

/**
 * A `set-font-size` command with an explicit payload (absolute size, reset with `size: 0`, or a
 * change). kitty 0.26 needs `size` present, so it is always sent.
 */
export function setFontSizeCommand(payload: SetFontSizePayload): KittyCommand {
  if (!Number.isFinite(payload.size) || payload.size < 0) {
    throw new RangeError(`font size must be a number >= 0, got ${payload.size}`);
  }
  return { cmd: "set-font-size", version: KITTY_PROTOCOL_VERSION, payload: { ...payload } };
}

/**
 * The mappable action that changes one OS window's font by `deltaPt` points (kitty's
 * `change_font_size current +3`). Only `+`/`-` are ever sent: kitty 0.26 to 0.41 read any other
 * operator as `-`.
 */
export function fontSizeChangeAction(deltaPt: number): string {
  if (!Number.isFinite(deltaPt) || deltaPt === 0) {
    throw new RangeError(`font size change must be a non-zero number of points, got ${deltaPt}`);
  }
  return `change_font_size current ${deltaPt > 0 ? "+" : "-"}${Math.abs(deltaPt)}`;
}

/**
 * An `action` command running `action` (a mappable action, as in kitty.conf) on the kitty window
 * with id `kittyWindowId`. kitty >= 0.35 dispatches `change_font_size` to that window's OS
 * window; older kitty runs it on its active OS window. The window is named twice: `match_window`
 * is the field kitty's protocol spec and `kitten @` use, `match` the one kitty's shared matching
 * code reads (kitty/rc/base.py `windows_for_match_payload`).
 *
 * @example
 * ```ts
 * actionCommand("change_font_size current +3", 7);
 * // {cmd: "action", version: [0,26,0], payload: {action: "…", match_window: "id:7", match: "id:7", self: false}}
 * ```
 */
export function actionCommand(action: string, kittyWindowId: number): KittyCommand {
  if (!Number.isInteger(kittyWindowId) || kittyWindowId < 0) {
    throw new RangeError(`kitty window id must be a whole number, got ${kittyWindowId}`);
  }
  const match = `id:${kittyWindowId}`;
  return {
    cmd: "action",
    version: KITTY_PROTOCOL_VERSION,
    payload: { action, match_window: match, match, self: false },
  };
}

/** An `ls` command: every OS window, tab and window with geometry (`columns`, `lines`). */
export function lsCommand(): KittyCommand {
  return { cmd: "ls", version: KITTY_PROTOCOL_VERSION };
}

/**
 * An `ls` carrying a chosen protocol version. kitty checks the version before anything else, so
 * a version newer than kitty's gets an immediate "newer than this kitty" error and runs nothing;
 * an older or equal one runs `ls`. See probe.ts.
 */
export function versionProbeCommand(version: readonly [number, number, number]): KittyCommand {
  return { cmd: "ls", version };
}

/**
 * Decodes the JSON between a response frame's prefix and terminator. Anything that is not an
 * object with a boolean `ok` is a `protocol` {@link ConnectionError}.
 *
 * @example
 * ```ts
 * parseResponse('{"ok": false, "error": "boom"}'); // {ok: false, error: "boom"}
 * ```
 */
export function parseResponse(json: string): KittyResponse {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ConnectionError(
      "protocol",
      `kitty sent a response that is not JSON: ${preview(json)}`,
    );
  }
  if (
    typeof value !== "object" || value === null ||
    typeof (value as { ok?: unknown }).ok !== "boolean"
  ) {
    throw new ConnectionError("protocol", `kitty sent a response without "ok": ${preview(json)}`);
  }
  const record = value as Record<string, unknown>;
  const response: KittyResponse = { ok: record.ok as boolean };
  if ("data" in record) response.data = record.data;
  if (typeof record.error === "string") response.error = record.error;
  if (typeof record.tb === "string") response.tb = record.tb;
  return response;
}

function preview(text: string): string {
  return JSON.stringify(text.length > 80 ? text.slice(0, 80) + "…" : text);
}

const PREFIX_BYTES = encoder.encode(FRAME_PREFIX);
const ESC = 0x1b;
const BACKSLASH = 0x5c;

/**
 * Splits a byte stream from kitty into response bodies: several frames in one read, a frame
 * split across reads, and bytes outside frames (skipped) are all handled.
 *
 * @example
 * ```ts
 * const splitter = new ResponseSplitter();
 * splitter.push(bytes); // ['{"ok": true}', ...] — the JSON of every complete frame so far
 * ```
 */
export class ResponseSplitter {
  #buffer: Uint8Array = new Uint8Array(0);

  /** Bytes received but not yet part of a complete frame. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }

  /**
   * Adds received bytes; returns the JSON text of every frame completed by them, in order.
   * Throws a `protocol` {@link ConnectionError} when an unterminated frame grows past
   * {@link MAX_RESPONSE_FRAME_BYTES}.
   */
  push(chunk: Uint8Array): string[] {
    this.#buffer = concat(this.#buffer, chunk);
    const bodies: string[] = [];
    let start = 0;
    for (;;) {
      const prefixAt = indexOf(this.#buffer, PREFIX_BYTES, start);
      if (prefixAt < 0) {
        // Keep a tail that may be the beginning of a prefix split across reads.
        start = Math.max(start, this.#buffer.length - (PREFIX_BYTES.length - 1));
        break;
      }
      const bodyAt = prefixAt + PREFIX_BYTES.length;
      const endAt = indexOfTerminator(this.#buffer, bodyAt);
      if (endAt < 0) {
        start = prefixAt;
        break;
      }
      bodies.push(decoder.decode(this.#buffer.subarray(bodyAt, endAt)));
      start = endAt + 2;
    }
    this.#buffer = this.#buffer.slice(Math.min(start, this.#buffer.length));
    if (this.#buffer.length > MAX_RESPONSE_FRAME_BYTES) {
      this.#buffer = new Uint8Array(0);
      throw new ConnectionError(
        "protocol",
        `kitty response frame exceeds ${MAX_RESPONSE_FRAME_BYTES} bytes without a terminator`,
      );
    }
    return bodies;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function indexOfTerminator(buffer: Uint8Array, from: number): number {
  for (let i = from; i < buffer.length - 1; i++) {
    if (buffer[i] === ESC && buffer[i + 1] === BACKSLASH) return i;
  }
  return -1;
}

/** One kitty window as `ls` reports it (the fields tether reads). */
export interface KittyWindowInfo {
  /** kitty's window id. */
  id: number;
  /** Whether it is the focused window of its OS window. */
  is_focused: boolean;
  /** Width in cells: shrinks as the font grows. */
  columns: number;
  /** Height in cells. */
  lines: number;
  /** PID of the window's child process (its shell). */
  pid?: number;
  /** The window's title. */
  title?: string;
}

/** One OS window as `ls` reports it, with its windows flattened out of its tabs. */
export interface KittyOsWindowInfo {
  /** kitty's OS window id (never reused within one kitty process). */
  id: number;
  /** The X11 window id on X11 (equal to i3's `window`, sway's for Xwayland); null on Wayland. */
  platform_window_id: number | null;
  /** Whether this OS window has keyboard focus (kitty learns it from the compositor). */
  is_focused: boolean;
  /**
   * Whether `set-font-size` with `all: false` acts on it on kitty < 0.35: the focused OS window,
   * else the last focused one, else the current one (kitty's `active_tab_manager`).
   */
  is_active: boolean;
  /** Every window of every tab. */
  windows: KittyWindowInfo[];
}

/**
 * Parses the `data` of an `ls` response (a string holding JSON) into OS windows. A shape that is
 * not kitty's is a `protocol` {@link ConnectionError}.
 */
export function parseLsData(data: unknown): KittyOsWindowInfo[] {
  let value: unknown = data;
  if (typeof data === "string") {
    try {
      value = JSON.parse(data);
    } catch {
      throw new ConnectionError("protocol", "kitty ls data is not JSON");
    }
  }
  if (!Array.isArray(value)) throw new ConnectionError("protocol", "kitty ls data is not a list");
  return value.map((osWindow: Record<string, unknown>) => {
    const tabs = Array.isArray(osWindow?.tabs) ? osWindow.tabs : [];
    const windows: KittyWindowInfo[] = [];
    for (const tab of tabs) {
      for (const window of Array.isArray(tab?.windows) ? tab.windows : []) {
        windows.push({
          id: Number(window.id),
          is_focused: Boolean(window.is_focused),
          columns: Number(window.columns),
          lines: Number(window.lines),
          ...(typeof window.pid === "number" ? { pid: window.pid } : {}),
          ...(typeof window.title === "string" ? { title: window.title } : {}),
        });
      }
    }
    const platformId = osWindow?.platform_window_id;
    return {
      id: Number(osWindow?.id),
      platform_window_id: typeof platformId === "number" && platformId > 0 ? platformId : null,
      is_focused: Boolean(osWindow?.is_focused),
      is_active: Boolean(osWindow?.is_active),
      windows,
    };
  });
}
