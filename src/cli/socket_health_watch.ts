import type { HealthRow } from "../sockets/health.ts";
import type { SocketEntry } from "../sockets/socket_entry.ts";
import { humanDuration, localClockTime } from "../platform/time_format.ts";
import type { TerminalSize } from "./context.ts";
import { fitWidth } from "./fit_width.ts";
import { type LiveSocket, renderLiveLine } from "./socket_health_render.ts";

/** What `--watch` draws for people; each method writes to stdout. */
export interface WatchView {
  /** A round begins at `at`: sockets without a result yet show `unknown`. */
  roundStarted(entries: readonly SocketEntry[], at: Date): void;
  /** One socket's result arrived (index into the round's entries). */
  rowArrived(index: number, row: HealthRow): void;
  /** Every result of the round is in. */
  roundEnded(rows: readonly HealthRow[]): void;
  /** Stops listening for resizes. */
  close(): void;
}

/** What a watch view needs to know and where it writes. */
export interface WatchViewOptions {
  /** Writes to stdout. */
  write: (text: string) => void;
  /** Time between rounds (shown in the header). */
  intervalMs: number;
  /** Paths below this directory are shown relative to it; the header names it. */
  baseDir: string | null;
}

/** The frame of the live view: a header, then one line per socket. */
export interface WatchFrame {
  /** When the round started. */
  roundAt: Date;
  /** Sockets in discovery order. */
  sockets: readonly LiveSocket[];
}

/**
 * The lines of one frame for a terminal of `size` (pure). Every line is cut to one column less
 * than the width (so no terminal wraps it, deferred wrap or not), and the frame keeps to one
 * row less than the height (a frame taller than the screen scrolls, and cursor-up cannot
 * reach its top again): extra sockets become one "… N more" line.
 */
function watchFrameLines(
  frame: WatchFrame,
  options: Pick<WatchViewOptions, "intervalMs" | "baseDir">,
  size: TerminalSize | null,
  colour: boolean,
): string[] {
  const width = size === null ? null : Math.max(1, size.columns - 1);
  const fit = (text: string) => (width === null ? text : fitWidth(text, width));
  const header = fit(
    `socket-health ${localClockTime(frame.roundAt)}, every ${humanDuration(options.intervalMs)}` +
      (options.baseDir ? ` — ${options.baseDir}` : ""),
  );
  const style = { colour, width, baseDir: options.baseDir };
  if (frame.sockets.length === 0) return [header, fit("no IPC sockets found")];
  const room = size === null ? Infinity : Math.max(1, size.rows - 2);
  const shown = frame.sockets.length <= room ? frame.sockets : frame.sockets.slice(0, room - 1);
  const lines = [header, ...shown.map((socket) => renderLiveLine(socket, style))];
  const hidden = frame.sockets.length - shown.length;
  if (hidden > 0) lines.push(fit(`… ${hidden} more (a taller terminal, or --kind)`));
  return lines;
}

/**
 * The live view on a capable terminal: the frame is redrawn in place as each result arrives
 * (every socket `unknown` until its first result, later keeping its last result until the next
 * one). A redraw moves the cursor up by the screen rows the last frame took (one per line: no
 * line wraps) and clears below. After a resize (SIGWINCH) the old frame may have been
 * re-wrapped by the terminal, so the screen is cleared and the frame drawn from the top.
 */
export function terminalWatchView(
  options: WatchViewOptions & {
    size: () => TerminalSize | null;
    onResize?: (listener: () => void) => () => void;
  },
): WatchView {
  const latest = new Map<string, HealthRow>();
  let frame: WatchFrame | null = null;
  let rowsDrawn = 0;
  let resized = false;
  const draw = () => {
    if (frame === null) return;
    const lines = watchFrameLines(frame, options, options.size(), true);
    const prefix = resized ? "\x1b[H\x1b[2J" : rowsDrawn > 0 ? `\r\x1b[${rowsDrawn}A\x1b[J` : "";
    resized = false;
    options.write(prefix + lines.join("\n") + "\n");
    rowsDrawn = lines.length;
  };
  const unsubscribe = options.onResize?.(() => {
    resized = true;
    draw();
  }) ?? (() => {});
  return {
    roundStarted: (entries, at) => {
      frame = {
        roundAt: at,
        sockets: entries.map((entry) => ({
          kind: entry.kind,
          socket_path: entry.path,
          row: latest.get(entry.path) ?? null,
        })),
      };
      draw();
    },
    rowArrived: (index, row) => {
      latest.set(row.socket_path, row);
      if (frame === null) return;
      const sockets = [...frame.sockets];
      sockets[index] = { ...sockets[index]!, row };
      frame = { ...frame, sockets };
      draw();
    },
    roundEnded: () => {},
    close: unsubscribe,
  };
}

/**
 * The view for a terminal that gets no escape codes (`TERM=dumb`, no `TERM`, `NO_COLOR`): each
 * finished round appends its header and lines, then an empty line; the cursor never moves.
 */
export function plainWatchView(options: WatchViewOptions): WatchView {
  let roundAt = new Date();
  return {
    roundStarted: (_entries, at) => {
      roundAt = at;
    },
    rowArrived: () => {},
    roundEnded: (rows) => {
      const sockets = rows.map((row) => ({ kind: row.kind, socket_path: row.socket_path, row }));
      options.write(
        watchFrameLines({ roundAt, sockets }, options, null, false).join("\n") + "\n\n",
      );
    },
    close: () => {},
  };
}
