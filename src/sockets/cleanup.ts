import { unlinkSync } from "node:fs";
import type { Environment } from "../platform/paths.ts";
import { categoryForErrno, type ErrorJson } from "../resilience/errors.ts";
import {
  keepReasonAfterProbe,
  keepReasonBeforeProbe,
  keepReasonBeforeUnlink,
  keepReasonListening,
} from "./cleanup_decision.ts";
import { discoverSockets } from "./discovery.ts";
import { readFileFacts } from "./file_facts.ts";
import { verifyRuntimeDir } from "./runtime_dir.ts";
import { probeConnect } from "./connect_probe.ts";
import { readListeningPaths } from "./listening_sockets.ts";
import { type Prober, probeSocket } from "./probe.ts";
import type { SocketEntry, SocketKind } from "./socket_entry.ts";

/** A file left in place and why. */
export interface KeptEntry {
  /** The path. */
  socket_path: string;
  /** Which program's socket it would be. */
  kind: SocketKind;
  /** Why it stayed. */
  reason: string;
}

/** A removal that was attempted and failed. */
export interface FailedRemoval {
  /** The path. */
  socket_path: string;
  /** What unlink said (its errno in the message; EACCES/EPERM are `auth`). */
  error: ErrorJson;
}

/** What `tether cleanup` did (the `--json` document). */
export interface CleanupReport {
  /** Whether this was a dry run (then `removed` lists what would have been removed). */
  dry_run: boolean;
  /** Removed (or, in a dry run, removable) stale sockets. */
  removed: string[];
  /** Everything else tether recognised, with the reason it stayed. */
  kept: KeptEntry[];
  /** Stale sockets whose unlink failed (exit 1). */
  failed: FailedRemoval[];
}

/** Options for {@link runCleanup}. */
export interface CleanupOptions {
  /** The runtime dir (validated here: own, 0700). */
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
  /** Removes a file (never follows symlinks). Default `node:fs` unlinkSync. */
  unlinkFile?: (path: string) => Promise<void>;
  /** Lists listening socket paths (tests inject). Default: /proc/net/unix. */
  readListening?: () => Promise<ReadonlySet<string> | null>;
  /** Called after each removal (one log line per removal). */
  onRemoved?: (entry: SocketEntry) => void;
}

/**
 * Removes stale IPC sockets of sway, i3, niri, kitty and tether from the runtime dir, only
 * when every check of compositor-ipc.md §4.1 holds: own 0700 runtime dir; a known name with
 * our uid; `lstat` says a socket we own (symlinks, files, directories skipped); connect
 * refused; no process listening on the path (/proc/net/unix); and, right before unlink, still
 * refusing and still the same file (dev, inode, times). A hung peer, a full
 * backlog or EACCES keeps the file. Nothing outside `$XDG_RUNTIME_DIR` is touched, including
 * a `$SWAYSOCK` pointing elsewhere; the current session's socket goes only if proven dead.
 * Throws a ConfigError for a bad runtime dir or an unreadable directory, before any removal.
 */
export async function runCleanup(options: CleanupOptions): Promise<CleanupReport> {
  const { runtimeDir, uid } = options;
  const timeoutMs = options.timeoutMs ?? 1000;
  verifyRuntimeDir(runtimeDir, uid);
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
  // Phase 2: sockets that refused but still have a listener are hung, not dead.
  const listening = await (options.readListening ?? readListeningPaths)();
  const candidates = refused.filter((entry) => {
    const reason = keepReasonListening(entry.path, listening);
    if (reason !== null) keep(entry, reason);
    return reason === null;
  });
  // Phase 3, right before each unlink: still refusing, and (checked last, closest to the
  // unlink) still the same file.
  await forEachLimited(candidates, concurrency, async (entry) => {
    const reprobe = await probe(entry.path);
    const now = readFileFacts(entry.path);
    const late = keepReasonBeforeUnlink(entry.file!, now, reprobe, uid);
    if (late !== null) return keep(entry, late);
    if (!options.dryRun) {
      try {
        await remove(entry.path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return keep(entry, "vanished before removal");
        report.failed.push({
          socket_path: entry.path,
          error: {
            category: (code && categoryForErrno(code)) || "closed",
            message: `unlink failed: ${code ?? String(error)}`,
          },
        });
        return;
      }
    }
    report.removed.push(entry.path);
    options.onRemoved?.(entry);
  });
  report.removed.sort();
  report.kept.sort((a, b) => a.socket_path.localeCompare(b.socket_path));
  return report;
}

function kindOfDirectory(path: string): SocketKind {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name === "i3" || name === "kitty" ? name : "tether";
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
