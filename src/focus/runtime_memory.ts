/**
 * Memory of the long-running `tether focus` process: keeping the JIT out of an event loop that
 * handles a few events a minute, and a memory report for the control socket and the benchmark.
 *
 * Measured (scripts/bench/focus.sh, compiled binary, 10,000 focus events): the live heap stays
 * at ~4 MB and the JS object count at ~24,000 from the first thousand events on — nothing
 * accumulates. What grew the RSS from 49 MB to ~70 MB was JavaScriptCore's optimising JIT: its
 * compiler code paged in from the binary (+4 MB of file-backed pages) and its compiled code and
 * working memory (+8-10 MB of anonymous memory). The tracker's own work per event is
 * microseconds next to kitty's milliseconds, so it runs in the interpreter.
 */

/** JIT tier-up threshold scale that, in practice, means "never tier up" (Bun, see below). */
export const NO_TIER_UP_SCALE = 1e9;

interface BunRuntime {
  gc(force: boolean): void;
  unsafe?: { setJITPolicy?: (scale: number) => void };
}

type GcHost = { Bun?: BunRuntime; gc?: () => void };

/**
 * On Bun (the compiled binary), scales JavaScriptCore's JIT tier-up thresholds so that code
 * stays in the interpreter (`Bun.unsafe.setJITPolicy`); elsewhere (deno run) does nothing.
 * Returns whether the policy was applied.
 */
export function keepJitIdle(host: GcHost = globalThis as GcHost): boolean {
  const setJITPolicy = host.Bun?.unsafe?.setJITPolicy;
  if (typeof setJITPolicy !== "function") return false;
  setJITPolicy(NO_TIER_UP_SCALE);
  return true;
}

/** The process's memory, in bytes, as the `memory` control command reports it. */
export interface MemoryReport {
  /** Resident set size (includes the runtime's code pages mapped from the binary). */
  rss: number;
  /** Live JavaScript heap (after a collection when `collected` is true). */
  heap_used: number;
  /** JavaScript heap reserved. */
  heap_total: number;
  /** Memory held outside the JavaScript heap by JavaScript objects (buffers). */
  external: number;
  /** Whether a full garbage collection ran first (Bun always; Deno only with --expose-gc). */
  collected: boolean;
}

/**
 * Reports the process's memory; with `collect`, after a full garbage collection when the
 * runtime allows one, so `heap_used` is the live heap rather than live heap plus garbage.
 */
export function memoryReport(
  collect: boolean,
  host: GcHost = globalThis as GcHost,
  usage: () => NodeJS.MemoryUsage = () => process.memoryUsage(),
): MemoryReport {
  let collected = false;
  if (collect) {
    if (typeof host.Bun?.gc === "function") {
      host.Bun.gc(true);
      collected = true;
    } else if (typeof host.gc === "function") {
      host.gc();
      collected = true;
    }
  }
  const memory = usage();
  return {
    rss: memory.rss,
    heap_used: memory.heapUsed,
    heap_total: memory.heapTotal,
    external: memory.external,
    collected,
  };
}
