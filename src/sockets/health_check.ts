import { classifyHealth, type HealthRow, needsProbe } from "./health.ts";
import { readListeningPaths } from "./listening_sockets.ts";
import { type Prober, probeSocket } from "./probe.ts";
import type { ProbeProtocol, SocketEntry } from "./socket_entry.ts";

/** Options for {@link checkHealth}. */
export interface CheckHealthOptions {
  /** Per-socket deadline. */
  timeoutMs: number;
  /** Probers by protocol (tests inject fakes). */
  probers?: Readonly<Partial<Record<ProbeProtocol, Prober>>>;
  /** Lists listening socket paths (tests inject). Default: /proc/net/unix. */
  readListening?: () => Promise<ReadonlySet<string> | null>;
  /** Wall clock for `last_validated`. Default `new Date()`. */
  wallClock?: () => Date;
}

/**
 * Probes every entry in parallel, each with its own deadline, so one hung peer never delays
 * the other rows: the whole check takes about the slowest single probe, at most the timeout.
 * Rows come back in the order of `entries`.
 */
export async function checkHealth(
  entries: readonly SocketEntry[],
  options: CheckHealthOptions,
): Promise<HealthRow[]> {
  const wallClock = options.wallClock ?? (() => new Date());
  const outcomes = await Promise.all(entries.map(async (entry) => {
    const outcome = needsProbe(entry)
      ? await probeSocket(entry.path, entry.protocol, {
        timeoutMs: options.timeoutMs,
        probers: options.probers,
      })
      : null;
    return { outcome, at: wallClock() };
  }));
  const refused = outcomes.some(({ outcome }) =>
    outcome !== null && !outcome.answered && outcome.category === "refused"
  );
  const listening = refused ? await (options.readListening ?? readListeningPaths)() : null;
  return entries.map((entry, index) =>
    classifyHealth(entry, outcomes[index]!.outcome, outcomes[index]!.at, listening)
  );
}
