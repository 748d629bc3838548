import { DEFAULT_PROC_ROOT, readComm, readParentPid } from "../platform/proc.ts";

/** How many parents {@link resolveKittyPid} walks up at most (kitty -> shell -> wrapper ...). */
const MAX_PARENT_HOPS = 8;

/**
 * The PID of the kitty process that owns a window, given the PID the compositor reports. That is
 * usually kitty itself (sway's `container.pid` for a Wayland kitty is kitty's PID), but a
 * compositor may report a child (a wrapper, a process kitty launched): walk the `/proc` parent
 * chain to the first process whose `comm` is `kitty`. When none is found the reported PID is
 * returned unchanged (a renamed kitty binary still has its socket named after its own PID).
 *
 * @example
 * ```ts
 * await resolveKittyPid(4268); // 4268 when /proc/4268/comm is "kitty"
 * ```
 */
export async function resolveKittyPid(
  pid: number,
  procRoot: string = DEFAULT_PROC_ROOT,
): Promise<number> {
  let current = pid;
  for (let hop = 0; hop <= MAX_PARENT_HOPS; hop++) {
    if ((await readComm(current, procRoot)) === "kitty") return current;
    const parent = await readParentPid(current, procRoot);
    if (parent === null || parent <= 1) break;
    current = parent;
  }
  return pid;
}
