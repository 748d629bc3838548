/**
 * Reads a PID or uid written in a socket's file name: plain decimal, no sign, no leading zero,
 * within 32 bits (what the kernel hands out). Anything else is null, so a look-alike name such
 * as `sway-ipc.1000.0812.sock` is not taken for a real program's socket.
 *
 * @example
 * ```ts
 * parseDecimalId("812"); // 812
 * parseDecimalId("0812"); // null
 * ```
 */
export function parseDecimalId(text: string): number | null {
  if (!/^\d{1,10}$/.test(text) || (text.length > 1 && text.startsWith("0"))) return null;
  const value = Number(text);
  return value <= 0xffffffff ? value : null;
}
