import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** One kitty tether enlarged and has not shrunk back yet. */
export interface EnlargedKitty {
  /** kitty's PID. */
  pid: number;
  /** When that process started (ms since epoch), to tell a restarted PID from the same kitty. */
  start_time_ms: number | null;
  /** How many points it was enlarged by. */
  delta_pt: number;
}

/**
 * Reads the crash-repair record: the kitties a previous tether left enlarged. A missing file is
 * an empty list; an unreadable or malformed one is treated as empty too (repair is best effort:
 * the worst case is one kitty left a few points too large).
 */
export async function readEnlargedRecord(path: string): Promise<EnlargedKitty[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return [];
  }
  try {
    const parsed = JSON.parse(text) as { enlarged?: unknown };
    if (!Array.isArray(parsed?.enlarged)) return [];
    return parsed.enlarged.filter(isEnlargedKitty);
  } catch {
    return [];
  }
}

/**
 * Replaces the record (atomically: temp file + rename, mode 0600, directory 0700). An empty
 * list removes the file.
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
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify({ enlarged }) + "\n", { mode: 0o600 });
  await rename(temporary, path);
}

function isEnlargedKitty(value: unknown): value is EnlargedKitty {
  const record = value as Partial<EnlargedKitty> | null;
  return typeof record === "object" && record !== null &&
    Number.isInteger(record.pid) && (record.pid ?? 0) > 0 &&
    (record.start_time_ms === null || typeof record.start_time_ms === "number") &&
    typeof record.delta_pt === "number" && record.delta_pt > 0;
}
