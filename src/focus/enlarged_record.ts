import { mkdir, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { readFileSafely, writeFileSafely } from "../platform/safe_file.ts";

/**
 * Largest record read back (bytes). A record of a few kitties is ~100 bytes; anything near
 * this is not tether's (a 130 MB file once cost the tracker 2 GB).
 */
export const MAX_ENLARGED_RECORD_BYTES = 64 * 1024;

/** One kitty OS window tether enlarged and has not shrunk back yet. */
export interface EnlargedKitty {
  /** kitty's PID. */
  pid: number;
  /** When that process started (ms since epoch), to tell a restarted PID from the same kitty. */
  start_time_ms: number | null;
  /**
   * kitty's id of the enlarged OS window; null in a record written before tether tracked OS
   * windows (then kitty's active OS window is meant).
   */
  os_window_id: number | null;
  /** How many points it was enlarged by. */
  delta_pt: number;
}

/**
 * Reads the crash-repair record: the OS windows a previous tether left enlarged. A missing file
 * is an empty list; an unreadable or malformed one is treated as empty too (repair is best
 * effort: the worst case is one window left a few points too large). Entries of the older
 * per-kitty form (no `os_window_id`) are read with `os_window_id: null`. Only a regular file of
 * ours up to {@link MAX_ENLARGED_RECORD_BYTES} is read, opened without blocking and without
 * following a symlink: a FIFO, /dev/zero or a huge file there is ignored, not waited on or
 * swallowed.
 */
export function readEnlargedRecord(path: string): Promise<EnlargedKitty[]> {
  let text: string | null;
  try {
    text = readFileSafely(path, {
      maxBytes: MAX_ENLARGED_RECORD_BYTES,
      followSymlinks: false,
      ownerUid: process.getuid!(),
    });
  } catch {
    return Promise.resolve([]);
  }
  if (text === null) return Promise.resolve([]);
  return Promise.resolve(parseEnlargedRecord(text));
}

function parseEnlargedRecord(text: string): EnlargedKitty[] {
  try {
    const parsed = JSON.parse(text) as { enlarged?: unknown };
    if (!Array.isArray(parsed?.enlarged)) return [];
    return parsed.enlarged.filter(isEnlargedKitty).map((entry) => ({
      pid: entry.pid,
      start_time_ms: entry.start_time_ms,
      os_window_id: entry.os_window_id ?? null,
      delta_pt: entry.delta_pt,
    }));
  } catch {
    return [];
  }
}

/**
 * Replaces the record (new 0600 temp file, fsync, rename: never through a symlink; directory
 * 0700). An empty list removes the file.
 */
export async function writeEnlargedRecord(
  path: string,
  enlarged: readonly EnlargedKitty[],
): Promise<void> {
  if (enlarged.length === 0) {
    await unlink(path).catch(() => {});
    return;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSafely(path, JSON.stringify({ enlarged }) + "\n", { mode: 0o600 });
}

function isEnlargedKitty(value: unknown): value is EnlargedKitty {
  const record = value as Partial<EnlargedKitty> | null;
  return typeof record === "object" && record !== null &&
    Number.isInteger(record.pid) && (record.pid ?? 0) > 0 &&
    (record.start_time_ms === null || typeof record.start_time_ms === "number") &&
    (record.os_window_id === undefined || record.os_window_id === null ||
      (Number.isInteger(record.os_window_id) && record.os_window_id > 0)) &&
    typeof record.delta_pt === "number" && record.delta_pt > 0;
}
