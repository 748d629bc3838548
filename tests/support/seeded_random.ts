/**
 * The one seeded random generator of the tests, so a randomized test can print its seed and be
 * replayed with it.
 */
import process from "node:process";

/**
 * mulberry32: a small, fast generator of floats in [0, 1) — the same sequence for the same seed
 * on every run and runtime.
 *
 * @example
 * ```ts
 * const random = seededRandom(7);
 * random(); // always the same first value for seed 7
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of a randomized test: `$<envName>` when set (to replay a failure), else a fresh one.
 * Print it with the test's failure message so the run can be replayed.
 *
 * @example
 * ```ts
 * const seed = chosenSeed("TETHER_RANDOM_SEED");
 * const random = seededRandom(seed);
 * ```
 */
export function chosenSeed(envName: string): number {
  const fromEnv = process.env[envName];
  if (fromEnv === undefined || fromEnv === "") return Math.floor(Math.random() * 2 ** 32);
  const seed = Number(fromEnv);
  if (!Number.isInteger(seed) || seed < 0) {
    throw new Error(`${envName} must be a non-negative integer, got ${fromEnv}`);
  }
  return seed;
}
