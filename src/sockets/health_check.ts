import type { Clock } from "../resilience/clock.ts";
import { classifyHealth, type HealthRow, needsProbe } from "./health.ts";
import { readListenerFiles } from "./listener_files.ts";
import { type Prober, probeSocket } from "./probe.ts";
import type { SocketEntry } from "./socket_entry.ts";
import type { ProbeProtocol } from "./socket_kinds.ts";

/** Options for {@link checkHealth}. */
export interface CheckHealthOptions {
  /** Per-socket deadline. */
  timeoutMs: number;
  /** Probers by protocol (tests inject fakes). */
  probers?: Readonly<Partial<Record<ProbeProtocol, Prober>>>;
  /**
   * Inodes of the files listening sockets are bound to (tests inject). Default: every network
   * namespace's table (listener_files.ts).
   */
  readListening?: () => Promise<ReadonlySet<number> | null>;
  /** The clock of the probes' deadlines and latencies. @default systemClock */
  clock?: Clock;
  /** Wall clock for `last_validated`. Default `new Date()`. */
  wallClock?: () => Date;
  /**
   * Told each row as soon as it is ready (`index` into `entries`), before the slowest probe
   * ends: `--watch` redraws a socket the moment its result arrives.
   */
  onRow?: (index: number, row: HealthRow) => void;
}

/**
 * Probes every entry in parallel, each with its own deadline, so one hung peer never delays
 * the other rows: the whole check takes about the slowest single probe, at most the timeout.
 * The listener tables are read once, and only if some probe was refused (a refused socket
 * whose file still has a listener is hung with a full backlog, not stale). Rows come back in the order
 * of `entries`.
 */
export async function checkHealth(
  entries: readonly SocketEntry[],
  options: CheckHealthOptions,
): Promise<HealthRow[]> {
  const wallClock = options.wallClock ?? (() => new Date());
  let listening: Promise<ReadonlySet<number> | null> | undefined;
  const listeningOnce = () => (listening ??= (options.readListening ?? readListenerInodes)());
  return await Promise.all(entries.map(async (entry, index) => {
    const outcome = needsProbe(entry)
      ? await probeSocket(entry.path, entry.protocol, {
        timeoutMs: options.timeoutMs,
        probers: options.probers,
        clock: options.clock,
      })
      : null;
    const at = wallClock();
    const refused = outcome !== null && !outcome.answered && outcome.category === "refused";
    const row = classifyHealth(entry, outcome, at, refused ? await listeningOnce() : null);
    options.onRow?.(index, row);
    return row;
  }));
}

/** Listener inodes for labelling only: a doubt (cleanup's reason to keep everything) is moot here. */
function readListenerInodes(): Promise<ReadonlySet<number>> {
  return Promise.resolve(readListenerFiles({ runtimeDev: -1 }).alive);
}
