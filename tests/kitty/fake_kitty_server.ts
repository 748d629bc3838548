import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ResponseSplitter } from "../../src/kitty/codec.ts";

/** Decides the reply to one request body (JSON text); null = stay silent. */
export type FakeKittyHandler = (request: Record<string, unknown>) => object | null;

/** A unix socket server speaking kitty's framing, for client unit tests. */
export interface FakeKittyServer {
  socketPath: string;
  /** Every request received, decoded. */
  requests: Record<string, unknown>[];
  /** Connections accepted so far. */
  connections: number;
  /** Connections the client has closed (EOF seen). */
  closedConnections: number;
  close(): Promise<void>;
}

/**
 * Starts a fake kitty answering each framed request with `handler`'s reply, on `socketPath`
 * (default: `kitty.sock` in a fresh temp dir, removed by `close()`).
 */
export async function startFakeKitty(
  handler: FakeKittyHandler,
  options: { socketPath?: string } = {},
): Promise<FakeKittyServer> {
  const dir = options.socketPath === undefined ? mkdtempSync(join(tmpdir(), "fake-kitty-")) : null;
  const socketPath = options.socketPath ?? join(dir!, "kitty.sock");
  const sockets = new Set<Socket>();
  const state: FakeKittyServer = {
    socketPath,
    requests: [],
    connections: 0,
    closedConnections: 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
    },
  };
  const server: Server = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    const splitter = new ResponseSplitter();
    socket.on("data", (chunk) => {
      for (const body of splitter.push(chunk)) {
        const request = JSON.parse(body);
        state.requests.push(request);
        const reply = handler(request);
        if (reply !== null) socket.write(`\x1bP@kitty-cmd${JSON.stringify(reply)}\x1b\\`);
      }
    });
    socket.on("end", () => {
      state.closedConnections++;
      socket.end();
    });
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, () => resolve()));
  return state;
}
