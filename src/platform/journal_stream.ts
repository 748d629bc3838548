import { fstatSync } from "node:fs";
import type { Environment } from "./paths.ts";

/**
 * Whether this process's stdout is systemd's journal stream: `JOURNAL_STREAM` (`<dev>:<inode>`,
 * set by systemd for services) names the device and inode of file descriptor 1. A child that
 * merely inherited the variable has another stdout and gets `false` (systemd.exec(5)).
 *
 * @example
 * ```ts
 * stdoutIsJournal(process.env); // true inside a systemd service with StandardOutput=journal
 * ```
 */
export function stdoutIsJournal(env: Environment, fd = 1): boolean {
  const match = env.JOURNAL_STREAM?.match(/^(\d+):(\d+)$/);
  if (!match) return false;
  try {
    const info = fstatSync(fd, { bigint: true });
    return info.dev === BigInt(match[1]!) && info.ino === BigInt(match[2]!);
  } catch {
    return false;
  }
}
