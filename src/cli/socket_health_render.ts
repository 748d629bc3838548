import type { HealthRow } from "../sockets/health.ts";
import type { SocketKind } from "../sockets/socket_kinds.ts";
import { humanDuration } from "../platform/time_format.ts";
import { fitWidth } from "./fit_width.ts";

/** Latency above which a healthy socket shows yellow. */
const SLOW_LATENCY_MS = 500;

/** The colour of a row in `--watch` on a terminal. */
export type RowColour = "green" | "yellow" | "orange" | "red" | "grey";

const ANSI: Record<RowColour, string> = {
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  orange: "\x1b[38;5;208m",
  red: "\x1b[31m",
  grey: "\x1b[90m",
};
const RESET = "\x1b[0m";

/**
 * Green healthy, yellow healthy but slower than 500 ms, orange a daemon whose upstream is not
 * connected (`degraded`), red down (stale, missing, unresponsive), grey not probed yet (null).
 */
export function rowColour(row: HealthRow | null): RowColour {
  if (row === null) return "grey";
  if (row.status === "degraded") return "orange";
  if (row.status !== "healthy") return "red";
  return (row.latency_ms ?? 0) > SLOW_LATENCY_MS ? "yellow" : "green";
}

/** The human table (no colour): one line per socket, aligned columns. */
export function renderTable(rows: readonly HealthRow[]): string {
  if (rows.length === 0) return "no IPC sockets found\n";
  const header = ["KIND", "STATUS", "LATENCY", "PID", "SOCKET", "NOTE"];
  const lines = rows.map((row) => [
    row.kind,
    row.status,
    formatLatency(row.latency_ms),
    row.owner_pid === null ? "-" : String(row.owner_pid),
    row.socket_path + (row.current ? " *" : ""),
    noteOf(row),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length))
  );
  const format = (cells: string[]) =>
    cells.map((cell, column) => column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))
      .join("  ").trimEnd();
  const footer = rows.some((row) => row.current) ? "* = the current session's socket\n" : "";
  return [format(header), ...lines.map(format)].join("\n") + "\n" + footer;
}

/** A socket in the `--watch` live view: its latest row, or null until its first result. */
export interface LiveSocket {
  /** Which program's socket. */
  kind: SocketKind;
  /** Its path. */
  socket_path: string;
  /** The latest result, or null while the first probe runs (drawn grey, status `unknown`). */
  row: HealthRow | null;
}

/** How a live line is drawn. */
export interface LiveLineStyle {
  /** Wrap the line in its colour. */
  colour: boolean;
  /** Cut the text to this many columns (with …); null = no limit. */
  width: number | null;
  /** Paths below this directory are shown relative to it (the header names it). */
  baseDir?: string | null;
}

/**
 * One live status line for `--watch`: status first (it matters most when the line is cut),
 * then latency, kind, the path (relative to `baseDir`) and the note; cut to `width` columns
 * before the colour codes are added, so it never wraps.
 */
export function renderLiveLine(socket: LiveSocket, style: LiveLineStyle): string {
  const row = socket.row;
  const status = row?.status ?? "unknown";
  const note = row === null ? "not probed yet" : row.error?.message ?? null;
  const base = style.baseDir ? style.baseDir.replace(/\/$/, "") + "/" : null;
  const path = base !== null && socket.socket_path.startsWith(base)
    ? socket.socket_path.slice(base.length)
    : socket.socket_path;
  const full = `${status.padEnd(12)} ${formatLatency(row?.latency_ms ?? null).padStart(8)}  ${
    socket.kind.padEnd(6)
  } ${path}${note ? `  ${note}` : ""}`;
  const text = style.width === null ? full : fitWidth(full, style.width);
  return style.colour ? ANSI[rowColour(row)] + text + RESET : text;
}

function noteOf(row: HealthRow): string {
  const parts: string[] = [];
  if (row.error) parts.push(row.error.message);
  else if (row.peer) parts.push(row.peer);
  if (row.reconnection_count !== undefined && row.reconnection_count !== null) {
    parts.push(`reconnections ${row.reconnection_count}`);
  }
  if (row.uptime_ms !== undefined && row.uptime_ms !== null) {
    parts.push(`up ${humanDuration(row.uptime_ms)}`);
  }
  return parts.join("; ");
}

/** A latency for people: `0.42 ms`, `12 ms`, `-` for none. */
export function formatLatency(ms: number | null): string {
  if (ms === null) return "-";
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}
