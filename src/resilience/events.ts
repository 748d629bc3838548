/**
 * A listener for one event of a {@link TypedEmitter}.
 */
export type Listener<T> = (payload: T) => void;

/**
 * A tiny typed event emitter: event names and payload types come from one map, so a typo in
 * an event name or payload field is a type error. Listeners run synchronously in the order they
 * were added; a listener that throws is skipped (its error is swallowed) so it cannot break the
 * pool or supervisor that emits — listeners must do their own error handling.
 *
 * @example
 * ```ts
 * const events = new TypedEmitter<{ status_changed: { to: string } }>();
 * const off = events.on("status_changed", (event) => console.log(event.to));
 * events.emit("status_changed", { to: "connected" });
 * off();
 * ```
 */
export class TypedEmitter<Events extends object> {
  #listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds a listener; returns a function that removes it. */
  on<Name extends keyof Events>(name: Name, listener: Listener<Events[Name]>): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Adds a listener that runs at most once; returns a function that removes it. */
  once<Name extends keyof Events>(name: Name, listener: Listener<Events[Name]>): () => void {
    const off = this.on(name, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  /** Calls every listener of `name` with `payload`. */
  emit<Name extends keyof Events>(name: Name, payload: Events[Name]): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[Name]>)(payload);
      } catch {
        // See the class comment: a faulty listener must not corrupt the emitter's owner.
      }
    }
  }

  /** How many listeners `name` has (for tests and leak checks). */
  listenerCount(name: keyof Events): number {
    return this.#listeners.get(name)?.size ?? 0;
  }
}
