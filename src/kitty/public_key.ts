import { childPids, DEFAULT_PROC_ROOT, readEnviron } from "../platform/proc.ts";

/**
 * How deep below kitty to look: kitty's direct children (the shell of each window, the prewarm
 * zygote) normally carry the key; grandchildren cover a window whose shell exec'd elsewhere.
 */
const MAX_DEPTH = 2;

/**
 * Finds kitty's public key (`KITTY_PUBLIC_KEY=1:<base85>`). kitty publishes it only in the
 * environment of processes it spawns — not in its own `/proc/<pid>/environ`, and no request
 * returns it — so this reads `/proc/<child>/environ` of kitty's children (breadth first, then
 * grandchildren), taking only a process whose `KITTY_PID` names this kitty when it has one.
 * Returns null when no child is readable or none has the key (e.g. every window closed).
 *
 * @example
 * ```ts
 * const key = await findKittyPublicKey(4121); // "1:tVz)r{3w`z>7)gb5N^qXc~@_lP<-d_cEUo~OVL;q" or null
 * ```
 */
export async function findKittyPublicKey(
  kittyPid: number,
  procRoot = DEFAULT_PROC_ROOT,
): Promise<string | null> {
  let generation = await childPids(kittyPid, procRoot);
  for (let depth = 1; depth <= MAX_DEPTH && generation.length > 0; depth++) {
    for (const pid of generation) {
      const environ = await readEnviron(pid, procRoot);
      const key = environ?.get("KITTY_PUBLIC_KEY");
      if (!key) continue;
      const owner = environ?.get("KITTY_PID");
      if (owner !== undefined && owner !== String(kittyPid)) continue;
      return key;
    }
    if (depth === MAX_DEPTH) break;
    const next: number[] = [];
    for (const pid of generation) next.push(...await childPids(pid, procRoot));
    generation = next;
  }
  return null;
}
