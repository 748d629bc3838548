/**
 * The one way tests wait for something that happens on real time (a peer's reply, a child
 * process, a socket appearing): poll a check, and fail loudly — naming what was awaited — when it
 * does not happen in time. Code on an injected clock waits on tests/support/virtual_clock.ts
 * instead; a plain pause is {@link sleep}, so it reads as one.
 */

/**
 * Polls `check` every `pollMs` until it returns a value other than `undefined` or `false`, and
 * resolves with that value; throws `timed out after <timeoutMs> ms waiting for <what>` once
 * `timeoutMs` passes. A check that throws fails the wait at once (with that error).
 *
 * @param what names the awaited event in the failure message ("the bridge connection closed"); a
 * function is called at the timeout, so the message can show the state it ended in.
 * @param timeoutMs @default 15000
 * @param pollMs @default 20 (a check that spawns a process wants a slower poll, e.g. 100)
 *
 * @example
 * ```ts
 * await waitFor("serve connected", () => bridge.hasClient);
 * const pid = await waitFor("kitty's pid file", () => readPid(path));
 * ```
 */
export async function waitFor<T>(
  what: string | (() => string),
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
  pollMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const described = typeof what === "string" ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${described}`);
    }
    await sleep(pollMs);
  }
}

/**
 * A real-time pause, for the few places where nothing observable marks the moment a test wants
 * (e.g. "nothing more arrives within 200 ms"). Prefer {@link waitFor} on the actual condition.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves as `promise` does, or throws `timed out after <timeoutMs> ms waiting for <what>` if it
 * has not settled by then — for a single awaited event (a reply, a close) instead of a polled
 * condition.
 *
 * @param timeoutMs @default 15000
 *
 * @example
 * ```ts
 * const reply = await settleWithin("the reply to ping", client.request("ping"));
 * ```
 */
export async function settleWithin<T>(
  what: string,
  promise: Promise<T>,
  timeoutMs = 15_000,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
