import { ConnectionError } from "../resilience/errors.ts";

/**
 * niri's IPC wire format (niri-ipc/src/lib.rs): one JSON value per line each way. Requests are
 * serde externally-tagged enums — a bare string for unit variants (`"Version"`,
 * `"EventStream"`), an object otherwise (`{"Action":{"FocusWindow":{"id":12}}}`). Replies are
 * `{"Ok":<Response>}` or `{"Err":"<message>"}`. After `"EventStream"` niri answers
 * `{"Ok":"Handled"}` and then writes one event object per line. niri keeps adding events and
 * fields, so parsing ignores what it does not know. Pure: text in, values out.
 */

/** A niri request: a unit variant name or an externally tagged object. */
export type NiriRequest = string | Readonly<Record<string, unknown>>;

/** A decoded reply line. */
export type NiriReply = { ok: true; value: unknown } | { ok: false; error: string };

/** Default longest line accepted: a `WindowsChanged` with hundreds of windows fits easily. */
const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;

/**
 * Encodes one request line (JSON + `\n`).
 *
 * @example
 * ```ts
 * encodeNiriRequest("Version"); // '"Version"\n'
 * ```
 */
export function encodeNiriRequest(request: NiriRequest): string {
  return JSON.stringify(request) + "\n";
}

/**
 * Decodes a reply line. Anything but `{"Ok":…}` / `{"Err":"…"}` is a `protocol` error.
 *
 * @example
 * ```ts
 * parseNiriReply('{"Ok":{"Version":"25.11 (b35bcae)"}}'); // {ok: true, value: {Version: "25.11 (b35bcae)"}}
 * ```
 */
export function parseNiriReply(line: string): NiriReply {
  const value = parseJsonLine(line, "reply");
  if (isRecord(value)) {
    if (Object.hasOwn(value, "Ok")) return { ok: true, value: value.Ok };
    if (Object.hasOwn(value, "Err")) return { ok: false, error: String(value.Err) };
  }
  throw new ConnectionError(
    "protocol",
    `niri reply is neither {"Ok":…} nor {"Err":…}: ${preview(line)}`,
  );
}

/**
 * The version string from a `"Version"` reply value (`{"Version":"25.11 (b35bcae)"}`).
 * Anything else is a `protocol` error.
 */
export function versionFromReply(value: unknown): string {
  if (isRecord(value) && typeof value.Version === "string") return value.Version;
  throw new ConnectionError("protocol", `niri Version reply has no version string`);
}

/** A window as niri reports it; fields older niri lacks are null/false. */
export interface NiriWindow {
  /** niri's window id. */
  id: number;
  /** Title, if any. */
  title: string | null;
  /** Wayland app_id, if any. */
  app_id: string | null;
  /** Client PID (niri >= 25.01; null before, or for some portal windows). */
  pid: number | null;
  /** Workspace id, if on one. */
  workspace_id: number | null;
  /** Whether it has keyboard focus. */
  is_focused: boolean;
  /** Whether it floats (niri >= 25.01). */
  is_floating: boolean;
}

/** The niri events tether acts on, plus a catch-all for the rest. */
export type NiriEvent =
  | { type: "WindowsChanged"; windows: NiriWindow[] }
  | { type: "WindowOpenedOrChanged"; window: NiriWindow }
  | { type: "WindowClosed"; id: number }
  | { type: "WindowFocusChanged"; id: number | null }
  | { type: "WorkspaceActivated"; id: number; focused: boolean }
  | { type: "other"; name: string; body: unknown };

/**
 * Decodes one event line, tolerating unknown events (`type: "other"`) and unknown fields.
 * Invalid JSON, a non-object line, or a known event with missing required fields is a
 * `protocol` error.
 *
 * @example
 * ```ts
 * parseNiriEvent('{"WindowFocusChanged":{"id":null}}'); // {type: "WindowFocusChanged", id: null}
 * ```
 */
export function parseNiriEvent(line: string): NiriEvent {
  const value = parseJsonLine(line, "event");
  if (!isRecord(value)) {
    throw new ConnectionError("protocol", `niri event is not a JSON object: ${preview(line)}`);
  }
  const names = Object.keys(value);
  if (names.length !== 1) {
    throw new ConnectionError(
      "protocol",
      `niri event must have exactly one key, got ${names.length}: ${preview(line)}`,
    );
  }
  const name = names[0]!;
  const body = value[name];
  switch (name) {
    case "WindowsChanged": {
      const windows = field(body, "windows", name);
      if (!Array.isArray(windows)) throw missing(name, "windows");
      return { type: name, windows: windows.map((window) => parseNiriWindow(window, name)) };
    }
    case "WindowOpenedOrChanged":
      return { type: name, window: parseNiriWindow(field(body, "window", name), name) };
    case "WindowClosed":
      return { type: name, id: requireId(field(body, "id", name), name) };
    case "WindowFocusChanged": {
      const id = field(body, "id", name);
      return { type: name, id: id === null ? null : requireId(id, name) };
    }
    case "WorkspaceActivated":
      return {
        type: name,
        id: requireId(field(body, "id", name), name),
        focused: field(body, "focused", name) === true,
      };
    default:
      return { type: "other", name, body };
  }
}

/** Parses a `Window` object; unknown fields are ignored, absent optional ones default. */
export function parseNiriWindow(value: unknown, context = "Window"): NiriWindow {
  if (!isRecord(value)) throw missing(context, "window");
  return {
    id: requireId(value.id, context),
    title: typeof value.title === "string" ? value.title : null,
    app_id: typeof value.app_id === "string" ? value.app_id : null,
    pid: typeof value.pid === "number" && Number.isInteger(value.pid) ? value.pid : null,
    workspace_id: typeof value.workspace_id === "number" ? value.workspace_id : null,
    is_focused: value.is_focused === true,
    is_floating: value.is_floating === true,
  };
}

/** Options for {@link LineSplitter}. */
export interface LineSplitterOptions {
  /** Longest line accepted, in bytes (without the newline). Default 4 MiB. */
  maxLineBytes?: number;
}

/** What {@link LineSplitter.split} yields: a line, or a `protocol` error for a skipped one. */
export type SplitItem = string | ConnectionError;

/**
 * Splits a byte stream into UTF-8 lines with bounded memory. A line longer than `maxLineBytes`
 * is dropped as soon as it passes the bound, and the bytes up to its newline are discarded as
 * they arrive (across any number of chunks), so at most `maxLineBytes` are ever buffered; a
 * line that is not UTF-8 is dropped too. Either way the splitter resumes with the next line.
 * {@link split} reports such a line in place as a `protocol` error carrying a short excerpt;
 * {@link push} throws it instead (for a reply, where a bad line is fatal). `\r\n` is accepted.
 *
 * @example
 * ```ts
 * const lines = new LineSplitter();
 * lines.push(new TextEncoder().encode('{"Ok":"Handled"}\n{"Wind')); // ['{"Ok":"Handled"}']
 * ```
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #utf8 = new TextDecoder("utf-8", { fatal: true });
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  /** Inside an oversized line: drop bytes until its newline. */
  #discarding = false;

  constructor(options: LineSplitterOptions = {}) {
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** Bytes held after the last complete line; never more than `maxLineBytes`. */
  get bufferedBytes(): number {
    return this.#partBytes;
  }

  /**
   * Appends a chunk and returns the lines it completed (without their newlines), with a
   * `protocol` error in the place of each line it skipped (too long, or not UTF-8).
   *
   * @example
   * ```ts
   * new LineSplitter({ maxLineBytes: 4 }).split(new TextEncoder().encode("123456\n{}\n"));
   * // [ConnectionError("protocol", "line longer than 4 bytes skipped: \"1234\"…"), "{}"]
   * ```
   */
  split(chunk: Uint8Array): SplitItem[] {
    const items: SplitItem[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline < 0 ? chunk.length : newline;
      if (this.#discarding) {
        if (newline < 0) break;
        this.#discarding = false;
      } else if (this.#partBytes + (end - start) > this.#maxLineBytes) {
        this.#parts.push(chunk.subarray(start, start + EXCERPT_BYTES));
        const shown = excerpt(this.#takeBytes(EXCERPT_BYTES));
        items.push(
          new ConnectionError(
            "protocol",
            `line longer than ${this.#maxLineBytes} bytes skipped: ${shown}`,
          ),
        );
        this.#discarding = newline < 0;
      } else {
        // A partial line is copied: the caller may reuse its buffer.
        this.#parts.push(newline < 0 ? chunk.slice(start, end) : chunk.subarray(start, end));
        this.#partBytes += end - start;
        if (newline >= 0) items.push(this.#takeLine());
      }
      if (newline < 0) break;
      start = newline + 1;
    }
    return items;
  }

  /** {@link split}, but a skipped line throws its `protocol` error. */
  push(chunk: Uint8Array): string[] {
    return this.split(chunk).map((item) => {
      if (item instanceof ConnectionError) throw item;
      return item;
    });
  }

  /** Empties the buffer and returns (at most `limit` of) its bytes. */
  #takeBytes(limit = Infinity): Uint8Array {
    const total = this.#parts.reduce((sum, part) => sum + part.length, 0);
    const bytes = new Uint8Array(Math.min(total, limit));
    let offset = 0;
    for (const part of this.#parts) {
      if (offset >= bytes.length) break;
      const taken = part.subarray(0, bytes.length - offset);
      bytes.set(taken, offset);
      offset += taken.length;
    }
    this.#parts = [];
    this.#partBytes = 0;
    return bytes;
  }

  #takeLine(): SplitItem {
    const bytes = this.#takeBytes();
    let text: string;
    try {
      text = this.#utf8.decode(bytes);
    } catch {
      return new ConnectionError("protocol", `line is not valid UTF-8, skipped: ${excerpt(bytes)}`);
    }
    return text.endsWith("\r") ? text.slice(0, -1) : text;
  }
}

/** Bytes of a bad line shown in its error. */
const EXCERPT_BYTES = 80;

function excerpt(bytes: Uint8Array): string {
  return preview(new TextDecoder().decode(bytes.subarray(0, EXCERPT_BYTES)));
}

function parseJsonLine(line: string, what: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new ConnectionError("protocol", `niri ${what} is not valid JSON: ${preview(line)}`);
  }
}

function field(body: unknown, key: string, event: string): unknown {
  if (!isRecord(body) || !Object.hasOwn(body, key)) throw missing(event, key);
  return body[key];
}

function requireId(value: unknown, context: string): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  throw new ConnectionError("protocol", `niri ${context}: id is not a non-negative integer`);
}

function missing(event: string, key: string): ConnectionError {
  return new ConnectionError("protocol", `niri ${event} lacks "${key}"`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function preview(line: string): string {
  return line.length > 80 ? JSON.stringify(line.slice(0, 80)) + "…" : JSON.stringify(line);
}
