import { linkSync, lstatSync, mkdtempSync, renameSync, rmdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { Environment } from "../platform/paths.ts";
import { verifyRuntimeDir } from "../platform/runtime_dir.ts";
import { categoryForErrno, type ErrorJson } from "../resilience/errors.ts";
import {
  keepReasonAfterProbe,
  keepReasonBeforeProbe,
  keepReasonBeforeUnlink,
  keepReasonListening,
} from "./cleanup_decision.ts";
import { discoverSockets } from "./discovery.ts";
import { readFileFacts } from "./file_facts.ts";
import { probeConnect } from "./connect_probe.ts";
import { type ListenerFiles, readListenerFiles } from "./listener_files.ts";
import { type Prober, probeSocket } from "./probe.ts";
import type { SocketEntry, SocketKind } from "./socket_entry.ts";

/** A file left in place and why. */
export interface KeptEntry {
  /** Path of the socket file that stayed, under the runtime dir. */
  socket_path: string;
  /** Which program's socket it would be. */
  kind: SocketKind;
  /** Why it stayed. */
  reason: string;
}

/** A removal that was attempted and failed. */
export interface FailedRemoval {
  /** Absolute path of the file that could not be removed. */
  socket_path: string;
  /**
   * What went wrong: `unlink failed: <errno>` (EACCES/EPERM are `auth`), or where a file that
   * could not be put back now is.
   */
  error: ErrorJson;
}

/** A failed removal in the JSON vocabulary, from an errno code or a sentence. */
function failedRemoval(path: string, detail: string): FailedRemoval {
  const category = categoryForErrno(detail);
  return {
    socket_path: path,
    error: {
      category: category ?? "closed",
      message: /^E[A-Z]+$/.test(detail) ? `unlink failed: ${detail}` : detail,
    },
  };
}

/** What `tether cleanup` did (the `--json` document). */
export interface CleanupReport {
  /** Whether this was a dry run (then `removed` lists what would have been removed). */
  dry_run: boolean;
  /** Removed (or, in a dry run, removable) stale sockets. */
  removed: string[];
  /** Everything else tether recognised, with the reason it stayed. */
  kept: KeptEntry[];
  /** Stale sockets whose removal failed (exit 1). */
  failed: FailedRemoval[];
}

/** Options for {@link runCleanup}. */
export interface CleanupOptions {
  /** The runtime dir (validated here: own, 0700, not a symlink; used by its realpath). */
  runtimeDir: string;
  /** Environment naming the current session's sockets. */
  env: Environment;
  /** Our uid. */
  uid: number;
  /** Decide and report, but remove nothing. */
  dryRun: boolean;
  /** Per-probe deadline. Default 1000 ms. */
  timeoutMs?: number;
  /** Probes in flight at once (each holds a file descriptor briefly). Default 256. */
  concurrency?: number;
  /** The connect probe (tests inject). Default: connect, then close at once. */
  connectProber?: Prober;
  /** Removes a (quarantined) file. Default `node:fs` unlinkSync. */
  unlinkFile?: (path: string) => Promise<void>;
  /** Finds the files listening sockets are bound to (tests inject). Default: every namespace's /proc table. */
  readListeners?: (runtimeDev: number) => ListenerFiles;
  /** Called after each removal (one log line per removal). */
  onRemoved?: (entry: SocketEntry) => void;
}

/** Prefix of cleanup's private quarantine directory inside the runtime dir. */
const QUARANTINE_PREFIX = ".tether-cleanup-";

/**
 * Removes stale IPC sockets of sway, i3, niri, kitty and tether from the runtime dir, only
 * when every check of compositor-ipc.md §4.1 holds: own 0700 runtime dir (not a symlink, by
 * its realpath); a known name with our uid; `lstat` says a socket we own (symlinks, files,
 * directories skipped); connect refused; no process in any network namespace listening on that
 * file (by device + inode, see listener_files.ts). Removal cannot be raced: the file is first
 * renamed (atomic) into a fresh private 0700 directory inside the runtime dir, and only if the
 * moved file is still the same socket (dev, inode, times) that refused is it unlinked there;
 * anything else is moved back. A hung peer, a full backlog or EACCES keeps the file.
 * Nothing outside `$XDG_RUNTIME_DIR` is touched, including a `$SWAYSOCK` pointing elsewhere;
 * the current session's socket goes only if proven dead. Throws a ConfigError for a bad
 * runtime dir or an unreadable directory, before any removal.
 */
export async function runCleanup(options: CleanupOptions): Promise<CleanupReport> {
  const { uid } = options;
  const timeoutMs = options.timeoutMs ?? 1000;
  const runtimeDir = verifyRuntimeDir(options.runtimeDir, uid);
  const discovery = await discoverSockets({ runtimeDir, env: options.env, uid });
  const connectProber = options.connectProber;
  const probe = connectProber
    ? (path: string) =>
      probeSocket(path, "connect", { timeoutMs, probers: { connect: connectProber } })
    : (path: string) => probeConnect(path, timeoutMs);
  const remove = options.unlinkFile ?? ((path: string) => Promise.resolve(unlinkSync(path)));
  const concurrency = options.concurrency ?? 256;
  const report: CleanupReport = { dry_run: options.dryRun, removed: [], kept: [], failed: [] };
  const keep = (entry: SocketEntry, reason: string) =>
    report.kept.push({ socket_path: entry.path, kind: entry.kind, reason });
  for (const skipped of discovery.skipped) {
    report.kept.push({
      socket_path: skipped.path,
      kind: kindOfDirectory(skipped.path),
      reason: skipped.reason,
    });
  }
  // Phase 1: the checks without I/O, then one connect probe each.
  const refused: SocketEntry[] = [];
  await forEachLimited(discovery.entries, concurrency, async (entry) => {
    const early = keepReasonBeforeProbe(entry, uid, runtimeDir);
    if (early !== null) return keep(entry, early);
    const verdict = keepReasonAfterProbe(await probe(entry.path));
    if (verdict !== null) return keep(entry, verdict);
    refused.push(entry);
  });
  if (refused.length === 0) return sorted(report);
  // Phase 2: sockets that refused but whose file still has a listener are hung, not dead.
  const runtimeDev = lstatSync(runtimeDir).dev;
  const listeners = (options.readListeners ?? ((dev) => readListenerFiles({ runtimeDev: dev })))(
    runtimeDev,
  );
  const candidates = refused.filter((entry) => {
    const reason = keepReasonListening(entry.file!, listeners);
    if (reason !== null) keep(entry, reason);
    return reason === null;
  });
  // Phase 3: move into quarantine (a dry run looks in place), check the moved file is still
  // the socket that refused, then unlink it there; else put it back.
  const quarantine = options.dryRun || candidates.length === 0
    ? null
    : mkdtempSync(join(runtimeDir, QUARANTINE_PREFIX));
  let moved = 0;
  await forEachLimited(candidates, concurrency, async (entry) => {
    let checkedPath = entry.path;
    if (quarantine !== null) {
      checkedPath = join(quarantine, String(moved++));
      try {
        renameSync(entry.path, checkedPath);
      } catch (error) {
        const code = errorCode(error);
        if (code === "ENOENT") return keep(entry, "vanished before removal");
        if (code === "EXDEV") return keep(entry, "on another filesystem than the runtime dir");
        report.failed.push(failedRemoval(entry.path, code));
        return;
      }
    }
    const late = keepReasonBeforeUnlink(entry.file!, readFileFacts(checkedPath), uid);
    if (late !== null) {
      if (quarantine !== null) {
        const stuck = putBack(checkedPath, entry.path);
        if (stuck !== null) return report.failed.push(failedRemoval(entry.path, stuck));
      }
      return keep(entry, late);
    }
    if (quarantine !== null) {
      try {
        await remove(checkedPath);
      } catch (error) {
        const stuck = putBack(checkedPath, entry.path);
        report.failed.push(failedRemoval(entry.path, stuck ?? errorCode(error)));
        return;
      }
    }
    report.removed.push(entry.path);
    options.onRemoved?.(entry);
  });
  if (quarantine !== null) {
    try {
      rmdirSync(quarantine);
    } catch {
      // not empty: a file that could not be put back stays there, named in `failed`
    }
  }
  return sorted(report);
}

/**
 * Moves a quarantined file back to `path` without replacing whatever may have appeared there
 * meanwhile (link(2) fails with EEXIST where rename(2) would overwrite). Returns null when put
 * back, else a message saying where the file now is.
 */
function putBack(from: string, path: string): string | null {
  try {
    linkSync(from, path);
    unlinkSync(from);
    return null;
  } catch (error) {
    const code = errorCode(error);
    if (code === "EPERM" && lstatSync(from).isDirectory()) {
      // Directories cannot be hard-linked; rename one back only onto an empty spot.
      try {
        lstatSync(path);
      } catch {
        renameSync(from, path);
        return null;
      }
    }
    return `could not put it back (${code}); it is now ${from}`;
  }
}

function sorted(report: CleanupReport): CleanupReport {
  report.removed.sort();
  report.kept.sort((a, b) => a.socket_path.localeCompare(b.socket_path));
  return report;
}

function kindOfDirectory(path: string): SocketKind {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name === "i3" || name === "kitty" ? name : "tether";
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
