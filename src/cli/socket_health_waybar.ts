import { type DebouncedSocket, isDown } from "../sockets/health_debounce.ts";
import { localClockTime } from "../platform/time_format.ts";
import { formatLatency } from "./socket_health_render.ts";
import type { WaybarLine } from "./waybar.ts";

/**
 * The Waybar line of `socket-health --watch --format waybar` (pure): `text` = sockets up / all
 * (`4/4`), `percentage` = the share up, `class` = `down` when any socket is down (after the
 * debounce), else `degraded` when any is degraded or has not answered yet, else `healthy`
 * (`none` without sockets); the tooltip has one line per socket with its last good latency
 * and its last error.
 */
export function healthWaybarLine(sockets: readonly DebouncedSocket[]): WaybarLine {
  if (sockets.length === 0) {
    return { text: "0/0", tooltip: "no IPC sockets found", class: "none", percentage: 0 };
  }
  const up = sockets.filter((socket) => socket.status === "healthy").length;
  const className = sockets.some((socket) => isDown(socket.status))
    ? "down"
    : sockets.some((socket) => socket.status !== "healthy")
    ? "degraded"
    : "healthy";
  const tooltip = sockets.map((socket) => {
    const name = `${socket.kind} ${socket.socket_path.split("/").at(-1)}`;
    const good = socket.last_good_at === null
      ? "never answered"
      : `last good ${formatLatency(socket.latency_ms)} at ${
        localClockTime(new Date(socket.last_good_at))
      }`;
    const problem = socket.last_error !== null && socket.status !== "healthy"
      ? `: ${socket.last_error.message}`
      : "";
    return `${name}: ${socket.status} (${good})${problem}`;
  }).join("\n");
  return {
    text: `${up}/${sockets.length}`,
    tooltip,
    class: className,
    percentage: Math.round((100 * up) / sockets.length),
  };
}

/**
 * What makes a new Waybar line worth printing: each socket's shown status and problem. A
 * latency that moves by a few µs, or a failure still below `--fail-after`, is no change, so
 * the bar gets a line per change, not per round.
 */
export function waybarChangeKey(sockets: readonly DebouncedSocket[]): string {
  return JSON.stringify(sockets.map((socket) => [
    socket.socket_path,
    socket.status,
    socket.status === "healthy" ? null : socket.last_error?.message ?? null,
  ]));
}
