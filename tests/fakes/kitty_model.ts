/**
 * A model of one kitty process for tests: its OS windows, each with its own font size, kitty's
 * idea of which OS window has keyboard focus, and the remote-control commands tether sends
 * (`ls`, `set-font-size`, `action change_font_size`) with the semantics of kitty's source per
 * version (kitty/boss.py `change_font_size`, `active_tab_manager`, `window_for_dispatch`;
 * kitty/rc/action.py): kitty < 0.35 changes only its active OS window (the focused one, else
 * the last focused, else the first), kitty >= 0.35 runs an `action` on the OS window of the
 * matched window.
 */
import type { FakeKittyHandler } from "./kitty_server.ts";
import { NEWER_THAN_KITTY } from "./kitty_server.ts";

/** kitty's configured `font_size` in the model. */
export const MODEL_BASE_PT = 11;

/** kitty's `MINIMUM_FONT_SIZE`. */
const MINIMUM_FONT_SIZE = 4;

/** Options of {@link KittyModel}. */
export interface KittyModelOptions {
  /** kitty's version `[0, minor, patch]`. Default 0.26.5. */
  version?: readonly [number, number, number];
  /** OS windows that are X11 windows get `platform_window_id` (an X11 id); default Wayland. */
  x11?: boolean;
}

interface ModelOsWindow {
  id: number;
  /** The kitty window inside it (one tab, one window). */
  windowId: number;
  x11Id: number | null;
  sizePt: number;
}

let nextX11Id = 0x400001;

/** One kitty process as a fake's request handler sees it. */
export class KittyModel {
  readonly version: readonly [number, number, number];
  readonly #x11: boolean;
  readonly #osWindows: ModelOsWindow[] = [];
  #globalPt = MODEL_BASE_PT;
  #nextOsWindowId = 1;
  #nextWindowId = 1;
  /** OS window with keyboard focus (kitty's `current_focused_os_window_id`), or null. */
  #focused: number | null = null;
  #lastFocused: number | null = null;
  /** Every command run, as `cmd` or `cmd:detail`. */
  readonly log: string[] = [];

  constructor(options: KittyModelOptions = {}) {
    this.version = options.version ?? [0, 26, 5];
    this.#x11 = options.x11 ?? false;
  }

  /** Opens an OS window at the global size (kitty's default for new OS windows); its id. */
  openOsWindow(): number {
    const id = this.#nextOsWindowId++;
    this.#osWindows.push({
      id,
      windowId: this.#nextWindowId++,
      x11Id: this.#x11 ? nextX11Id++ : null,
      sizePt: this.#globalPt,
    });
    return id;
  }

  /** Closes an OS window. */
  closeOsWindow(id: number): void {
    const index = this.#osWindows.findIndex((osWindow) => osWindow.id === id);
    if (index >= 0) this.#osWindows.splice(index, 1);
    if (this.#focused === id) this.#focused = null;
    if (this.#lastFocused === id) this.#lastFocused = null;
  }

  /** Keyboard focus enters OS window `id` (null: it left this kitty). */
  setKeyboardFocus(id: number | null): void {
    if (this.#focused !== null) this.#lastFocused = this.#focused;
    this.#focused = id;
    if (id !== null) this.#lastFocused = id;
  }

  /** OS window ids, in creation order. */
  osWindowIds(): number[] {
    return this.#osWindows.map((osWindow) => osWindow.id);
  }

  /** The X11 id of an OS window (null on Wayland). */
  x11IdOf(id: number): number | null {
    return this.#osWindows.find((osWindow) => osWindow.id === id)?.x11Id ?? null;
  }

  /** An OS window's size relative to the configured size, in points. */
  deltaOf(id: number): number {
    const osWindow = this.#osWindows.find((candidate) => candidate.id === id);
    if (osWindow === undefined) throw new Error(`no OS window ${id}`);
    return osWindow.sizePt - MODEL_BASE_PT;
  }

  /** Sets an OS window's size relative to the configured size (as a killed tether left it). */
  setDeltaOf(id: number, deltaPt: number): void {
    const osWindow = this.#osWindows.find((candidate) => candidate.id === id);
    if (osWindow === undefined) throw new Error(`no OS window ${id}`);
    osWindow.sizePt = MODEL_BASE_PT + deltaPt;
  }

  /** The request handler (open mode: no password). */
  readonly handler: FakeKittyHandler = (request) => {
    const version = request.version as number[];
    if (version[1]! > this.version[1]) return NEWER_THAN_KITTY;
    const payload = (request.payload ?? {}) as Record<string, unknown>;
    switch (request.cmd) {
      case "ls":
        this.log.push("ls");
        return { ok: true, data: JSON.stringify(this.#ls()) };
      case "set-font-size": {
        this.log.push(`set-font-size:${payload.all ? "all" : "active"}`);
        if (typeof payload.size !== "number") {
          return {
            ok: false,
            error: "'<' not supported between instances of 'float' and 'NoneType'",
          };
        }
        const op = payload.increment_op as string | undefined;
        this.#changeFontSize(payload.all === true, op ?? null, payload.size, null);
        return { ok: true };
      }
      case "action": {
        const match = /^change_font_size (all|current) ([-+*/]?)([\d.]+)$/.exec(
          String(payload.action),
        );
        if (match === null) return { ok: false, error: `Unknown action: ${payload.action}` };
        // kitty's shared matching reads `match` (kitty/rc/base.py windows_for_match_payload).
        const wanted = /^id:(\d+)$/.exec(String(payload.match ?? ""));
        const target = wanted === null
          ? null
          : this.#osWindows.find((osWindow) => osWindow.windowId === Number(wanted[1]));
        if (wanted !== null && target === undefined) {
          return { ok: false, error: `No matching windows for expression: ${payload.match}` };
        }
        this.log.push(`action:${target?.id ?? "active"}`);
        this.#changeFontSize(
          match[1] === "all",
          match[2] === "" ? null : match[2]!,
          Number(match[3]),
          target?.id ?? null,
        );
        return { ok: true };
      }
      default:
        return { ok: false, error: `'Unknown kitty remote control command: ${request.cmd}'` };
    }
  };

  /** kitty's `active_tab_manager`: focused, else last focused, else the first OS window. */
  #active(): ModelOsWindow | undefined {
    const byId = (id: number | null) => this.#osWindows.find((osWindow) => osWindow.id === id);
    return byId(this.#focused) ?? byId(this.#lastFocused) ?? this.#osWindows[0];
  }

  #ls(): unknown[] {
    const active = this.#active();
    return this.#osWindows.map((osWindow) => ({
      id: osWindow.id,
      platform_window_id: osWindow.x11Id,
      is_active: osWindow === active,
      is_focused: osWindow.id === this.#focused,
      last_focused: osWindow.id === this.#lastFocused,
      tabs: [{
        id: osWindow.id,
        windows: [{
          id: osWindow.windowId,
          is_focused: true,
          // Geometry shrinks as the font grows, as in kitty (640 x 400 px).
          columns: Math.floor(640 / (osWindow.sizePt * 0.6)),
          lines: Math.floor(400 / (osWindow.sizePt * 1.5)),
        }],
      }],
    }));
  }

  /** boss.change_font_size, with `dispatchedTo` = `window_for_dispatch` (kitty >= 0.35 only). */
  #changeFontSize(all: boolean, op: string | null, amount: number, dispatchedTo: number | null) {
    const newer = this.version[1] >= 42;
    const calc = (old: number) => {
      if (amount === 0) return MODEL_BASE_PT;
      let size = old;
      if (op) {
        if (op === "+") size += amount;
        else if (op === "-" || !newer) size -= amount; // 0.26 to 0.41: any other op is "-"
        else if (op === "*") size *= amount;
        else if (op === "/") size /= amount;
      } else size = amount;
      return Math.max(MINIMUM_FONT_SIZE, Math.min(size, MODEL_BASE_PT * (newer ? 10 : 5)));
    };
    let targets: ModelOsWindow[];
    if (all) {
      this.#globalPt = calc(this.#globalPt);
      targets = [...this.#osWindows];
    } else {
      const dispatched = this.version[1] >= 35 && dispatchedTo !== null
        ? this.#osWindows.find((osWindow) => osWindow.id === dispatchedTo)
        : undefined;
      const target = dispatched ?? this.#active();
      targets = target === undefined ? [] : [target];
    }
    for (const osWindow of targets) osWindow.sizePt = calc(osWindow.sizePt);
  }
}
