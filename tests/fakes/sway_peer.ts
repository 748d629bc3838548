/**
 * A minimal in-process sway stand-in for socket-health tests: it answers i3-ipc GET_VERSION
 * like sway 1.7 — at once, after `replyDelayMs`, or never (`hung`: accepts and never answers,
 * as a SIGSTOPped sway does while its backlog has room). The real-peer tests use real sway;
 * this one is for many peers at once and for exact reply delays.
 */
import { createServer, type Server, type Socket } from "node:net";
import { encodeMessage, I3IpcDecoder } from "../../src/compositor/i3ipc_codec.ts";

/** Options for {@link startFakeSway}. */
export interface FakeSwayOptions {
  /** Accept, read, never answer. */
  hung?: boolean;
  /** Answer each request after this many ms (default 0). */
  replyDelayMs?: number;
}

/** A running fake sway. */
export interface FakeSway {
  /** Its socket path. */
  path: string;
  /** Ends every connection and stops listening (the socket file goes with it). */
  close(): Promise<void>;
}

/** Listens on `path` and answers GET_VERSION as configured. */
export async function startFakeSway(
  path: string,
  options: FakeSwayOptions = {},
): Promise<FakeSway> {
  const connections = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const server: Server = createServer((socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
    socket.on("error", () => {});
    const decoder = new I3IpcDecoder();
    socket.on("data", (chunk) => {
      for (const message of decoder.push(chunk)) {
        if (options.hung) continue;
        const reply = encodeMessage(message.type, '{"human_readable":"1.7","variant":"sway"}');
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!socket.destroyed) socket.write(reply);
        }, options.replyDelayMs ?? 0);
        timers.add(timer);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of connections) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
