/**
 * A FAKE Conson XP130/XP230 Conbus bridge on 127.0.0.1 — a fake because no real bridge exists on
 * this machine. It follows protocols/conbus.md §2.5 (real captures) and §3 (what a faithful
 * emulator must do, and where xp's own emulator diverges from hardware):
 *
 * - one client at a time: while a client is connected the listening socket is closed, so a
 *   second connection is refused at TCP level (ECONNREFUSED); it listens again on the same port
 *   once the client leaves;
 * - a byte-buffered `<…>` parser (frames split across reads are kept), checksum enforced
 *   (a bad request checksum gets no reply), no banner, no echo;
 * - replies 30–80 ms after the request; pipelined requests (several frames in one TCP read) are
 *   answered in reverse order, as the real bridge answered 7 concatenated reads out of order;
 * - discover (`F01`, serial 0000000000): one `R{sn}F01D` per module, spread over ~250 ms;
 * - `F02` read: the module's value, `??` for a datapoint it does not support; unknown serial:
 *   silence; `F27 D{nn}AA|AB` on an XP24: ACK `F18`, then an output event `E07L{link}I8{n}M|B`
 *   if the output changed; `F04`/`F05`/`F06`: ACK; any other function: NAK `F19`;
 * - knobs: drop the next replies, corrupt their checksum, close mid-reply, close the client
 *   while idle, send unsolicited events, flood.
 *
 * @example
 * ```ts
 * const bridge = await FakeConbusBridge.start();
 * // … connect to 127.0.0.1:bridge.port …
 * await bridge.close();
 * ```
 */
import { createServer, type Server, type Socket } from "node:net";
import { setImmediate } from "node:timers";
import { checksumOf } from "../../src/conbus/checksum.ts";
import { FrameSplitter } from "../../src/conbus/frame_splitter.ts";
import { latin1Decode, latin1Encode } from "../../src/conbus/latin1.ts";
import type { SystemTelegram } from "../../src/conbus/telegram.ts";
import { decodeFrame } from "../../src/conbus/telegram_codec.ts";
import { sleep } from "../support/wait.ts";

/** A module on the fake bus. */
export interface FakeModule {
  /** Ten-digit serial. */
  serial: string;
  /** Module type code (datapoint 07), e.g. `07` XP24, `34` XP230. */
  typeCode: string;
  /** Link number, two digits. */
  link: string;
  /** F02 datapoint values; a datapoint not listed is answered `??`. */
  datapoints: Record<string, string>;
  /** XP24 outputs (index 0 = output 0); absent for modules without outputs. */
  outputs?: boolean[];
}

/** The bus of the real captures: the XP230 bridge itself, two XP24s and a module with a sensor. */
export function defaultModules(): FakeModule[] {
  return [
    {
      serial: "0020030837",
      typeCode: "34",
      link: "00",
      datapoints: { "00": "XP230", "02": "XP230_V1.00.04", "07": "34", "09": "OK", "10": "00" },
    },
    {
      serial: "0020044964",
      typeCode: "07",
      link: "06",
      datapoints: { "00": "XP24", "02": "XP24_V0.34.03", "07": "07", "09": "OK", "10": "00" },
      outputs: [false, true, true, true],
    },
    {
      serial: "0020044966",
      typeCode: "07",
      link: "07",
      datapoints: {
        "00": "XP24",
        "07": "07",
        "15": "00:000[%],01:000[%],02:000[%],03:000[%]",
        "18": "+28,5\u00a7C",
      },
      outputs: [false, false, false, false],
    },
    {
      serial: "0020012521",
      typeCode: "07",
      link: "01",
      datapoints: { "00": "XP24", "18": "+26,0\u00a7C" },
      outputs: [false, false, false, false],
    },
  ];
}

/** Options for {@link FakeConbusBridge.start}. */
export interface FakeBridgeOptions {
  /** Modules on the bus. Default {@link defaultModules}. */
  modules?: FakeModule[];
  /** Reply delay range in ms. Default `[30, 80]`; `[0, 0]` for benchmarks. */
  replyDelayMs?: [number, number];
  /** Discover replies are spread over this many ms. Default 250 (0 when delays are 0). */
  discoverSpreadMs?: number;
  /** Delay between an F27 ACK and its output event. Default 20 ms. */
  eventDelayMs?: number;
  /** Port to listen on; default 0 = a free one. */
  port?: number;
  /** Random source for delays (seeded in tests for reproducibility). Default Math.random. */
  random?: () => number;
  /**
   * Default true: one client at a time, like the real bridge. False only for the benchmark's
   * "new connection per read" baseline, so it measures connection cost rather than this
   * fake's re-listen delay after a client leaves.
   */
  singleClient?: boolean;
  /** Frames kept in `received` / `rejected` at most. Default {@link DEFAULT_MAX_RECORDED}. */
  maxRecorded?: number;
}

/** Default bound of the fake's `received` and `rejected` lists. */
export const DEFAULT_MAX_RECORDED = 10_000;

/**
 * A FAKE Conbus bridge (no real bridge exists on this machine); its behaviour follows
 * protocols/conbus.md and is described in the module comment above.
 */
export class FakeConbusBridge {
  /** Port on 127.0.0.1. */
  readonly port: number;
  /**
   * The most recent valid frames received from clients, in arrival order: the last
   * `maxRecorded` at least, never 2 × `maxRecorded` (a long benchmark session sends millions;
   * older ones are dropped in batches).
   */
  readonly received: string[] = [];
  /** Valid frames received in total, including those no longer in `received`. */
  receivedCount = 0;
  /** The most recent frames received with a bad checksum or layout (not answered), bounded too. */
  readonly rejected: string[] = [];
  /** Connections accepted so far. */
  connectionsAccepted = 0;
  /** Extra connections that slipped in while one was open (closed at once). */
  connectionsTurnedAway = 0;
  readonly #modules: FakeModule[];
  readonly #delay: [number, number];
  readonly #discoverSpreadMs: number;
  readonly #eventDelayMs: number;
  readonly #random: () => number;
  readonly #singleClient: boolean;
  readonly #maxRecorded: number;
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;
  #client: Socket | null = null;
  #closed = false;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #dropReplies = 0;
  #corruptReplies = 0;
  #closeMidReply = 0;

  private constructor(port: number, options: FakeBridgeOptions) {
    this.port = port;
    this.#modules = options.modules ?? defaultModules();
    this.#delay = options.replyDelayMs ?? [30, 80];
    this.#discoverSpreadMs = options.discoverSpreadMs ?? (this.#delay[1] === 0 ? 0 : 250);
    this.#eventDelayMs = options.eventDelayMs ?? (this.#delay[1] === 0 ? 0 : 20);
    this.#random = options.random ?? Math.random;
    this.#singleClient = options.singleClient ?? true;
    this.#maxRecorded = Math.max(1, options.maxRecorded ?? DEFAULT_MAX_RECORDED);
  }

  /** Starts listening on 127.0.0.1 (a free port unless `options.port`). */
  static async start(options: FakeBridgeOptions = {}): Promise<FakeConbusBridge> {
    const probe = await listenOn(options.port ?? 0, () => {});
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const bridge = new FakeConbusBridge(port, options);
    await bridge.#listen();
    return bridge;
  }

  /** Whether a client is connected now. */
  get hasClient(): boolean {
    return this.#client !== null;
  }

  /** The next `count` replies are not sent (the request is answered by silence). */
  dropReplies(count = 1): void {
    this.#dropReplies += count;
  }

  /** The next `count` replies carry a wrong checksum. */
  corruptReplies(count = 1): void {
    this.#corruptReplies += count;
  }

  /** The next reply is cut in half and the connection closed right after the first half. */
  closeMidReply(count = 1): void {
    this.#closeMidReply += count;
  }

  /** Sends a frame (an unsolicited event, say) to the connected client now; false if none. */
  sendUnsolicited(frameOrBody: string): boolean {
    if (this.#client === null) return false;
    this.#client.write(latin1Encode(toFrame(frameOrBody))!);
    return true;
  }

  /**
   * Floods the connected client with `count` copies of a frame (an XP33LR reply storm),
   * `perWrite` frames per TCP write. Resolves when everything was handed to the kernel.
   */
  async flood(frameOrBody: string, count: number, perWrite = 100): Promise<void> {
    const client = this.#client;
    if (client === null) return;
    const frame = latin1Encode(toFrame(frameOrBody))!;
    const chunk = new Uint8Array(frame.length * perWrite);
    for (let index = 0; index < perWrite; index++) chunk.set(frame, index * frame.length);
    for (let sent = 0; sent < count && !client.destroyed; sent += perWrite) {
      const frames = Math.min(perWrite, count - sent);
      if (!client.write(frames === perWrite ? chunk : chunk.slice(0, frames * frame.length))) {
        await new Promise<void>((resolve) => {
          client.once("drain", resolve);
          client.once("close", resolve);
        });
      }
    }
  }

  /** Closes the client connection (the bridge dropping an idle client). */
  disconnectClient(): void {
    this.#client?.destroy();
  }

  /** Output states of an XP24 (index 0 = output 0). */
  outputsOf(serial: string): boolean[] | undefined {
    return this.#modules.find((module) => module.serial === serial)?.outputs?.slice();
  }

  /** Stops listening, closes the client and cancels pending replies. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const socket of this.#sockets) socket.destroy();
    const server = this.#server;
    this.#server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #listen(): Promise<void> {
    for (let attempt = 0; attempt < 50 && !this.#closed; attempt++) {
      try {
        this.#server = await listenOn(this.port, (socket) => this.#accept(socket));
        return;
      } catch {
        await sleep(20); // the port is still held by the connection being torn down
      }
    }
    if (!this.#closed) throw new Error(`fake bridge: port ${this.port} still busy after 50 tries`);
  }

  #accept(socket: Socket): void {
    if (!this.#singleClient) {
      this.connectionsAccepted++;
      this.#serveClient(socket);
      return;
    }
    if (this.#client !== null || this.#closed) {
      this.connectionsTurnedAway++;
      socket.destroy();
      return;
    }
    this.connectionsAccepted++;
    this.#client = socket;
    // Refuse further clients at TCP level while this one is connected.
    const server = this.#server;
    this.#server = null;
    server?.close();
    this.#serveClient(socket);
    socket.on("close", () => {
      if (this.#client === socket) this.#client = null;
      if (!this.#closed) void this.#listen();
    });
  }

  #serveClient(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.setNoDelay(true);
    const splitter = new FrameSplitter();
    socket.on("data", (chunk: Uint8Array) => this.#onRequests(socket, splitter.push(chunk)));
    socket.on("error", () => socket.destroy());
  }

  #onRequests(socket: Socket, frames: Uint8Array[]): void {
    const [minDelay, maxDelay] = this.#delay;
    frames.forEach((frame, index) => {
      let telegram;
      try {
        telegram = decodeFrame(frame);
      } catch {
        this.#record(this.rejected, latin1Decode(frame));
        return;
      }
      this.receivedCount++;
      this.#record(this.received, telegram.frame);
      if (telegram.type !== "S") return; // events go onto the bus; R from a client is ignored
      // Pipelined requests (one read) are answered latest-first: out of order, as observed.
      const delayMs = frames.length > 1
        ? minDelay + (maxDelay - minDelay) * (frames.length - 1 - index) / (frames.length - 1)
        : minDelay + (maxDelay - minDelay) * this.#random();
      this.#answer(socket, telegram, delayMs);
    });
  }

  /** Appends to a bounded list; trims in batches so a long run costs O(1) per frame. */
  #record(list: string[], frame: string): void {
    list.push(frame);
    if (list.length >= 2 * this.#maxRecorded) list.splice(0, list.length - this.#maxRecorded);
  }

  #answer(socket: Socket, request: SystemTelegram, delayMs: number): void {
    const broadcast = request.serial === "0000000000";
    const targets = broadcast
      ? this.#modules
      : this.#modules.filter((module) => module.serial === request.serial);
    targets.forEach((module, index) => {
      const replies = this.#repliesOf(module, request);
      if (replies.length === 0) return;
      const spread = broadcast && targets.length > 1
        ? this.#discoverSpreadMs * index / (targets.length - 1)
        : 0;
      this.#later(delayMs + spread, () => this.#send(socket, replies[0]!));
      for (const extra of replies.slice(1)) {
        this.#later(delayMs + spread + this.#eventDelayMs, () => this.#send(socket, extra));
      }
    });
  }

  #repliesOf(module: FakeModule, request: SystemTelegram): string[] {
    const reply = (fn: string, data = "") => `R${module.serial}F${fn}D${data}`;
    switch (request.functionCode) {
      case "01":
        return [reply("01")];
      case "02": {
        const datapoint = request.data.slice(0, 2);
        if (datapoint === "12" && module.outputs) {
          const bits = module.outputs.map((on) => (on ? "1" : "0")).reverse().join("");
          return [reply("02", `12xxxx${bits}`)];
        }
        return [reply("02", datapoint + (module.datapoints[datapoint] ?? "??"))];
      }
      case "04":
      case "05":
      case "06":
        return [reply("18")];
      case "27": {
        const match = /^(\d{2})(AA|AB)$/.exec(request.data);
        const output = match ? Number(match[1]) : -1;
        if (!module.outputs || match === null || output >= module.outputs.length) {
          return [reply("19")];
        }
        const on = match[2] === "AB";
        const changed = module.outputs[output] !== on;
        module.outputs[output] = on;
        const event = `E${module.typeCode}L${module.link}I8${output}${on ? "M" : "B"}`;
        return changed ? [reply("18"), event] : [reply("18")];
      }
      default:
        return [reply("19")];
    }
  }

  #send(socket: Socket, body: string): void {
    if (socket.destroyed) return;
    if (body.startsWith("R") && this.#dropReplies > 0) {
      this.#dropReplies--;
      return;
    }
    let frame = toFrame(body);
    if (body.startsWith("R") && this.#corruptReplies > 0) {
      this.#corruptReplies--;
      const wrong = frame.at(-2) === "A" ? "B" : "A";
      frame = frame.slice(0, -2) + wrong + ">";
    }
    const bytes = latin1Encode(frame)!;
    if (body.startsWith("R") && this.#closeMidReply > 0) {
      this.#closeMidReply--;
      socket.end(bytes.subarray(0, Math.floor(bytes.length / 2)));
      return;
    }
    socket.write(bytes);
  }

  #later(delayMs: number, action: () => void): void {
    if (delayMs <= 0) {
      // Zero delay (benchmarks): answer right after this read, not a timer tick (≥ 1 ms) later.
      setImmediate(() => {
        if (!this.#closed) action();
      });
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      action();
    }, delayMs);
    this.#timers.add(timer);
  }
}

function toFrame(frameOrBody: string): string {
  if (frameOrBody.startsWith("<")) return frameOrBody;
  return `<${frameOrBody}${checksumOf(latin1Encode(frameOrBody)!)}>`;
}

function listenOn(port: number, onConnection: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(onConnection);
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
