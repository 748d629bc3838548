import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ResponseSplitter } from "../../src/kitty/codec.ts";

/** Decides the reply to one request body (JSON text); null = stay silent. */
export type FakeKittyHandler = (request: Record<string, unknown>) => object | null;

/** kitty's reply to a request whose `version` is newer than the kitty itself (it runs nothing). */
export const NEWER_THAN_KITTY = {
  ok: false,
  error:
    "The kitty client you are using to send remote commands is newer than this kitty instance. This is not supported.",
};

/** `ls` data of a kitty with one (Wayland) OS window holding one window. */
export const ONE_OS_WINDOW_LS = JSON.stringify([{
  id: 1,
  platform_window_id: null,
  is_active: true,
  is_focused: true,
  tabs: [{ id: 1, windows: [{ id: 1, is_focused: true, columns: 71, lines: 22 }] }],
}]);

/**
 * A kitty 0.`minor` in open mode (no password): a request with a newer version gets
 * {@link NEWER_THAN_KITTY}; otherwise `ls` answers one OS window ({@link ONE_OS_WINDOW_LS}) and
 * any other command ok. Sizes are not modelled: see kitty_model.ts for that.
 */
export function openModeKitty(minor: number): FakeKittyHandler {
  return (request) => {
    const version = request.version as number[];
    if (version[1]! > minor) return NEWER_THAN_KITTY;
    return request.cmd === "ls" ? { ok: true, data: ONE_OS_WINDOW_LS } : { ok: true };
  };
}

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
