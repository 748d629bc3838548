/**
 * Cuts `text` to at most `width` terminal columns, ending it with `…` when anything was cut,
 * so a line never wraps (a wrapped line would break an in-place redraw). Columns are counted
 * per code point: tether's lines hold paths, numbers and a few one-column symbols.
 *
 * @example
 * ```ts
 * fitWidth("/run/user/1000/sway-ipc.1000.812.sock", 12); // "/run/user/1…"
 * ```
 */
export function fitWidth(text: string, width: number): string {
  const points = [...text];
  if (points.length <= width) return text;
  if (width <= 0) return "";
  return points.slice(0, width - 1).join("") + "…";
}
