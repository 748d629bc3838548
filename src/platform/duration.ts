import { ConfigError } from "./config_error.ts";

/** The largest delay a JavaScript timer can hold (2^31 − 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The unit a plain number means for one flag or config key. */
export type DurationUnit = "ms" | "s";

/** How one flag or config key reads a duration. */
export interface DurationSpec {
  /** What the value is called in messages: `--timeout`, `conbus.quiet_ms`, … */
  name: string;
  /** What a plain number means (`--quiet-ms 500` is ms, `--timeout 2` is seconds). */
  unit: DurationUnit;
  /** Smallest allowed value in ms, inclusive. Default: anything above 0. */
  minMs?: number;
  /** Whether 0 is allowed (e.g. `--min-gap-ms 0`). Default false. */
  allowZero?: boolean;
  /** Largest allowed value in ms, inclusive. Default (and never more than) {@link MAX_TIMER_MS}. */
  maxMs?: number;
}

const SUFFIX_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration the one way every tether flag and config value does: a number with an
 * optional unit — `500ms`, `2s`, `1.5m`, `1h` — or a plain number in the flag's own unit
 * (`--timeout 1.5` is 1.5 s, `--quiet-ms 500` is 500 ms). YAML numbers are plain numbers.
 * Returns milliseconds. Anything else, a value out of the flag's range, or one above the
 * largest timer ({@link MAX_TIMER_MS}) is a {@link ConfigError} (exit 2) naming the flag.
 *
 * @example
 * ```ts
 * parseDurationMs("500ms", { name: "--timeout", unit: "s" }); // 500
 * parseDurationMs("1.5", { name: "--timeout", unit: "s" });   // 1500
 * parseDurationMs(250, { name: "conbus.quiet_ms", unit: "ms" }); // 250
 * ```
 */
export function parseDurationMs(value: unknown, spec: DurationSpec): number {
  const ms = toMs(value, spec.unit);
  const maxMs = Math.min(spec.maxMs ?? MAX_TIMER_MS, MAX_TIMER_MS);
  const minMs = spec.minMs ?? 0;
  const expected = `a duration like 500ms, 2s or a plain number of ${
    spec.unit === "ms" ? "milliseconds" : "seconds"
  }`;
  if (ms === null) {
    throw new ConfigError(`${spec.name} must be ${expected}, got ${show(value)}`);
  }
  if (ms > MAX_TIMER_MS) {
    throw new ConfigError(
      `${spec.name} ${show(value)} is longer than the longest timer (${
        formatDuration(MAX_TIMER_MS, spec.unit)
      }, about 24.8 days)`,
    );
  }
  const zeroOk = spec.allowZero === true && ms === 0;
  if (!zeroOk && (ms <= 0 || ms < minMs || ms > maxMs)) {
    const low = spec.allowZero
      ? `at least ${formatDuration(minMs, spec.unit)}`
      : minMs > 0
      ? `at least ${formatDuration(minMs, spec.unit)}`
      : "greater than 0";
    throw new ConfigError(
      `${spec.name} must be ${low} and at most ${formatDuration(maxMs, spec.unit)}, got ${
        show(value)
      }`,
    );
  }
  return ms;
}

/**
 * Writes a duration in a flag's unit the way {@link parseDurationMs} reads it back:
 * `formatDuration(1500, "s")` is `1.5s`, `formatDuration(500, "ms")` is `500ms`.
 */
export function formatDuration(ms: number, unit: DurationUnit): string {
  if (unit === "ms" || ms < 1000) return `${round(ms)}ms`;
  return `${round(ms / 1000)}s`;
}

function toMs(value: unknown, unit: DurationUnit): number | null {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? value * SUFFIX_MS[unit]! : null;
  }
  if (typeof value !== "string") return null;
  const match = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?$/.exec(value.trim());
  if (match === null) return null;
  return Number(match[1]) * SUFFIX_MS[match[2] ?? unit]!;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function show(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value) ?? String(value);
}
