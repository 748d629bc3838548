import type {
  BridgeConnection,
  BridgeEndpoint,
  Incoming,
} from "../../src/conbus/bridge_connection.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";

/**
 * An in-memory bridge connection to `bridge.test:10001`: no socket, state only, for pool
 * behaviour on virtual time. `peerClosed` plays the bridge dropping it; `close` is the pool
 * ending it and sets `closedByUs`.
 *
 * @example
 * ```ts
 * const connection = new MemoryConnection(clock.now());
 * connection.peerClosed(); // alive = false, onClose listeners called once
 * ```
 */
export class MemoryConnection implements BridgeConnection {
  readonly endpoint: BridgeEndpoint = { host: "bridge.test", port: 10001 };
  readonly droppedIdleEvents = 0;
  alive = true;
  /** Whether `close()` ended it (as opposed to the peer). */
  closedByUs = false;
  #closeListeners: ((error: ConnectionError) => void)[] = [];

  /** `createdAtMs`: when it was opened (clock ms); also what `write` returns. */
  constructor(readonly createdAtMs = 0) {}
  write(): number {
    return this.createdAtMs;
  }
  listen(): void {}
  unlisten(): void {}
  onClose(listener: (error: ConnectionError) => void): () => void {
    this.#closeListeners.push(listener);
    return () => this.#closeListeners = this.#closeListeners.filter((each) => each !== listener);
  }
  takeIdleEvents(): readonly Incoming[] {
    return [];
  }
  close(): void {
    this.closedByUs = true;
    this.peerClosed();
  }
  /** The bridge drops the connection: not alive any more, each close listener called once. */
  peerClosed(): void {
    if (!this.alive) return;
    this.alive = false;
    for (const listener of this.#closeListeners) listener(new ConnectionError("closed", "gone"));
  }
}
