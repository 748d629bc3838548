/**
 * What the model-based focus tests share: the seeds to run, the random step
 * generator over a {@link ModelWorld}, and the invariant. tests/focus/focus_model_test.ts runs
 * it against the tracker in virtual time; tests/focus/focus_model_sockets_test.ts through the
 * real sockets (fake niri, fake kitty sockets, the in-process daemon).
 */
import type { KittyModel } from "../fakes/kitty_model.ts";
import { chosenSeed } from "../support/seeded_random.ts";

/**
 * The seeds to run: `TETHER_MODEL_SEED` alone if set, else `TETHER_MODEL_SEQUENCES` (default
 * `defaultCount`) seeds from a random base; `base` is printed by the caller.
 */
export function modelSeeds(
  env: Record<string, string | undefined>,
  defaultCount: number,
): { base: number; seeds: number[]; replay: boolean } {
  const only = env.TETHER_MODEL_SEED;
  const count = Number(env.TETHER_MODEL_SEQUENCES ?? defaultCount);
  const base = only === undefined ? chosenSeed("TETHER_MODEL_SEED") : Number(only);
  const seeds = only === undefined
    ? Array.from({ length: count }, (_, i) => (base + i * 7919) >>> 0)
    : [base];
  return { base, seeds, replay: only !== undefined };
}

/** A compositor window of a model world. */
export interface ModelWindow {
  windowId: number;
  /** null: a non-kitty window. */
  pid: number | null;
  osWindowId: number | null;
}

/** The world a random step acts on (kitties, compositor windows, tether). */
export interface ModelWorld {
  readonly kitties: ReadonlyMap<number, KittyModel>;
  readonly windows: readonly ModelWindow[];
  readonly focused: ModelWindow | null;
  openKitty(): void | Promise<void>;
  openOsWindow(pid: number): void | Promise<void>;
  /** Opens a non-kitty window (foot), focused. */
  openOther(): void | Promise<void>;
  focus(window: ModelWindow | null): void | Promise<void>;
  close(window: ModelWindow): void | Promise<void>;
  killKitty(pid: number): void | Promise<void>;
  restartCompositor(): void | Promise<void>;
  /** tether is killed (SIGKILL) and started again: the crash record repairs. */
  crashTether(): Promise<void>;
  /** tether gets SIGTERM (shrinks back) and is started again. */
  stopTether(): Promise<void>;
  /** Waits until tether and the kitties are quiet. */
  settle(): Promise<void>;
}

/** Picks one of `items` (non-empty). */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/**
 * One random step: focus moves (sometimes to nothing, sometimes flickering faster than kitty
 * answers), OS window and kitty opens, closes, kitty deaths, compositor and tether restarts.
 * Never more than `maxKitties` kitties.
 */
export async function randomStep(
  world: ModelWorld,
  random: () => number,
  maxKitties = 4,
): Promise<void> {
  const roll = random();
  const kittyPids = [...world.kitties.keys()];
  if (roll < 0.45 && world.windows.length > 0) {
    await world.focus(random() < 0.08 ? null : pick(random, world.windows));
  } else if (roll < 0.55 && kittyPids.length > 0) {
    await world.openOsWindow(pick(random, kittyPids));
  } else if (roll < 0.6) {
    if (kittyPids.length < maxKitties) await world.openKitty();
    else await world.openOther();
  } else if (roll < 0.63) {
    await world.openOther();
  } else if (roll < 0.72 && world.windows.length > 0) {
    await world.close(
      random() < 0.6 && world.focused !== null ? world.focused : pick(random, world.windows),
    );
  } else if (roll < 0.76 && kittyPids.length > 0) {
    await world.killKitty(pick(random, kittyPids));
  } else if (roll < 0.79) {
    await world.restartCompositor();
  } else if (roll < 0.83) {
    await world.settle();
    await world.crashTether();
  } else if (roll < 0.86) {
    await world.settle();
    await world.stopTether();
  } else if (world.windows.length > 0) {
    // Focus flickers faster than kitty answers: no quiet point in between.
    await world.focus(pick(random, world.windows));
    await world.focus(pick(random, world.windows));
  }
  if (world.kitties.size === 0) await world.openKitty();
}

/** How a world's focus reaches kitty and tether, for {@link invariantViolations}. */
export interface InvariantContext {
  /** Whether tether can know the focused OS window (see the model test's invariant). */
  knowable: boolean;
  /** Whether a keyboard reaches kitty (kitty hears of focus). */
  keyboard: boolean;
  x11: boolean;
  deltaPt: number;
}

/**
 * The invariant at a quiet point: the focused OS window is enlarged by exactly `deltaPt` when
 * tether can know it and reach it, every other OS window of every live kitty is at its
 * configured size. On Wayland an unknowable focused window may be either. Returns what is wrong.
 */
export function invariantViolations(
  kitties: ReadonlyMap<number, KittyModel>,
  focused: ModelWindow | null,
  context: InvariantContext,
  onFocusedMultiWindow?: (enlarged: boolean) => void,
): string[] {
  const wrong: string[] = [];
  for (const [pid, kitty] of kitties) {
    for (const osWindowId of kitty.osWindowIds()) {
      const isFocused = focused?.pid === pid && focused.osWindowId === osWindowId;
      // kitty < 0.35 can grow only its active OS window; without a keyboard that need not be
      // the focused one (README: what cannot be done there).
      const reachable = kitty.version[1] >= 35 || context.keyboard;
      const expected = isFocused && context.knowable && reachable ? context.deltaPt : 0;
      const actual = kitty.deltaOf(osWindowId);
      // On Wayland a kitty with several OS windows is known only once kitty has shown that
      // its focus reports follow the compositor: until then "nothing" is right too.
      const lenient = isFocused && !context.x11 && (!context.knowable || !reachable);
      if (isFocused && context.keyboard && !context.x11 && kitty.osWindowIds().length > 1) {
        onFocusedMultiWindow?.(actual === context.deltaPt);
      }
      if (actual !== expected && !(lenient && actual === context.deltaPt)) {
        wrong.push(
          `${pid}/${osWindowId}${isFocused ? " (focused)" : ""}: ${actual} pt, want ${expected}`,
        );
      }
    }
  }
  return wrong;
}
