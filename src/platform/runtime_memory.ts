/**
 * Memory of the long-running daemons (`tether focus`, `tether conbus serve`): keeping the JIT
 * out of an event loop that handles a few events a minute, handing memory back after a flood,
 * and a memory report for the control socket and the benchmarks.
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

/** How often {@link startMemoryRelease} looks at the RSS. */
export const MEMORY_CHECK_INTERVAL_MS = 2000;

/** Heap growth since the last collection that makes {@link MemoryReleaser} collect again. */
export const RELEASE_AFTER_GROWTH_BYTES = 8 * 1024 * 1024;

/**
 * Hands memory back to the system after a flood. Measured (scripts/bench/abuse.sh): after a
 * connect/close flood `conbus serve` held 221 MB RSS 10 s later with 70 MB of its heap garbage —
 * nothing referenced it, but an idle daemon allocates nothing, so the runtime never collected;
 * one full collection brought it to 3 MB of heap and 77 MB RSS. So: when the heap (live plus
 * garbage) has grown by {@link RELEASE_AFTER_GROWTH_BYTES} since the last collection, run a
 * full one (Bun: `Bun.gc(true)`, which also returns the freed pages). Counting heap rather than
 * RSS: a collection in the middle of a flood leaves the RSS high, and the garbage made after it
 * must still be collected once the flood ends; a large live heap is not collected over and over.
 */
export class MemoryReleaser {
  readonly #gc: (() => void) | null;
  readonly #heapUsedBytes: () => number;
  #heapAfterCollection: number;

  /** Without a collector in `host` (deno run without --expose-gc) {@link check} does nothing. */
  constructor(
    host: GcHost = globalThis as GcHost,
    heapUsedBytes: () => number = () => process.memoryUsage().heapUsed,
  ) {
    const bun = host.Bun;
    this.#gc = typeof bun?.gc === "function"
      ? () => bun.gc(true)
      : typeof host.gc === "function"
      ? host.gc
      : null;
    this.#heapUsedBytes = heapUsedBytes;
    this.#heapAfterCollection = this.#gc === null ? 0 : heapUsedBytes();
  }

  /** Whether the runtime lets it collect at all. */
  get available(): boolean {
    return this.#gc !== null;
  }

  /** Collects if the heap grew enough since the last collection; returns whether it did. */
  check(): boolean {
    if (this.#gc === null) return false;
    const heapUsed = this.#heapUsedBytes();
    if (heapUsed - this.#heapAfterCollection < RELEASE_AFTER_GROWTH_BYTES) {
      // The runtime collected by itself: growth counts from the lowest point seen.
      this.#heapAfterCollection = Math.min(this.#heapAfterCollection, heapUsed);
      return false;
    }
    this.#gc();
    this.#heapAfterCollection = this.#heapUsedBytes();
    return true;
  }
}

/**
 * Checks a {@link MemoryReleaser} every {@link MEMORY_CHECK_INTERVAL_MS} through `every` (the
 * daemons pass their clock's unref'd repeat: platform/ has no clock of its own); returns the
 * function that stops it. Does nothing where the runtime offers no collector.
 */
export function startMemoryRelease(
  every: (tick: () => void, intervalMs: number) => () => void,
  releaser: MemoryReleaser = new MemoryReleaser(),
): () => void {
  if (!releaser.available) return () => {};
  return every(() => releaser.check(), MEMORY_CHECK_INTERVAL_MS);
}
