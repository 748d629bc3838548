/**
 * In-process part of scripts/bench/conbus.sh: reads of `S0020044964F02D12` against the FAKE
 * bridge (no real bridge exists here) with zero reply delay. All sides talk to the same fake
 * process (its multi-client mode: same code and replies, it only accepts more than one client, so
 * the raw sockets and the pooled connection stay open side by side), write the same bytes, and
 * use TCP_NODELAY (connectBridge sets it; the fake sets it on its side too):
 * - raw: one socket; write the frame, split the byte stream into frames (FrameSplitter), decode
 *   each (checksum verified) and stop at the `R` telegram with the same serial, function and
 *   datapoint, with a 2 s deadline (one lazily armed timer per socket) and failing on close:
 *   the least a correct client does, and the floor the target is measured against;
 * - raw_bare: one socket; write the frame, stop at the first `>` byte (no parsing at all);
 * - pooled: `sendTelegrams` through the shared pool — content matching, deadline, events kept,
 *   pool lease with the aliveness check, the result object;
 * - raw_plus_work (a control): raw, plus a busy wait before each write as long as the extra
 *   client work the pooled path was measured to do per read (turnaround phase below). If it is
 *   as slow as pooled, the pooled overhead is that work plus its effect on the peer, not
 *   something else in the pooled path;
 * - per_read_connection: `sendTelegrams` with a new connection per read.
 *
 * Turnaround phase first (instrumented, not part of the figures): per read, the µs from the
 * decoded reply to the next write call (the client's own work) and the time of the write call
 * itself (on loopback it delivers to the fake and wakes it if it went idle).
 *
 * A 2-core machine is noisy, so raw, raw_bare, raw_plus_work and pooled run interleaved: every
 * round is `reads` reads per side in blocks of 100, the sides taking turns in rotating order,
 * and each ms-per-read figure is the median over `rounds` rounds. The overhead is the median
 * of the per-block ratios (pooled block / raw block of the same turn: both ran within a few
 * milliseconds, so a burst of load from elsewhere hits one block pair, not a whole round);
 * the median of the per-round ratios is reported beside it. CPU time of this process per read
 * (user + system, all its threads — GC included) is reported too.
 * Prints one JSON object.
 *
 *   deno run -A scripts/bench/conbus_bench.ts <port of a multi-client fake> [reads (1000)] [rounds (9)]
 */
import { createConnection, type Socket } from "node:net";
import process from "node:process";
import {
  type BridgeConnection,
  type BridgeEndpoint,
  connectBridge,
  type ConnectOptions,
  endpointLabel,
  type Incoming,
  type Receiver,
} from "../../src/conbus/bridge_connection.ts";
import { createBridgePool, poolAcquirer } from "../../src/conbus/bridge_pool.ts";
import { type AcquireConnection, sendTelegrams } from "../../src/conbus/conbus_client.ts";
import { FrameSplitter } from "../../src/conbus/frame_splitter.ts";
import { decodeFrame, encodeFrame, telegramFromBody } from "../../src/conbus/telegram_codec.ts";
import type { ConnectionError } from "../../src/resilience/errors.ts";

const [port, readsArg, roundsArg] = process.argv.slice(2).map(Number);
const reads = readsArg || 1000;
const rounds = roundsArg || 9;
const BLOCK = 100;
const SERIAL = "0020044964";
const telegram = telegramFromBody(`S${SERIAL}F02D12`);
const options = { timeoutMs: 2000, quietMs: 500, minGapMs: 0 };
const endpoint = { host: "127.0.0.1", port: port! };

/** Runs `count` reads one after another. */
type Side = (count: number) => Promise<void>;

async function openSocket(): Promise<Socket> {
  const socket = createConnection(endpoint);
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  socket.setNoDelay(true);
  return socket;
}

/**
 * Diagnostics for the turnaround phase: when the last reply was decoded, and per read the time
 * from there to the next write (the client's own work) and the time the write call took.
 */
class Probe {
  replyAt = 0;
  readonly turnaroundUs: number[] = [];
  readonly writeUs: number[] = [];

  reset(): void {
    this.replyAt = 0;
    this.turnaroundUs.length = 0;
    this.writeUs.length = 0;
  }

  replied(): void {
    this.replyAt = performance.now();
  }

  /** Calls `write`, recording the turnaround since the last reply and the write's own time. */
  write<T>(write: () => T): T {
    const startedAt = performance.now();
    if (this.replyAt > 0) this.turnaroundUs.push((startedAt - this.replyAt) * 1000);
    this.replyAt = 0;
    const result = write();
    this.writeUs.push((performance.now() - startedAt) * 1000);
    return result;
  }
}

/**
 * The least a correct client does per read, as cheaply as it can: write the frame; split the
 * stream and decode each frame (checksum verified); take only the `R` with the same serial,
 * function and datapoint (an event or another module's reply is not the answer); give up at a
 * 2 s deadline (one timer armed lazily for the whole socket, as a careful hand-written client
 * would, not a timer per read); fail the read when the socket closes.
 */
async function rawSide(
  { probe, workUs = 0 }: { probe?: Probe; workUs?: number } = {},
): Promise<{ side: Side; socket: Socket }> {
  const socket = await openSocket();
  const splitter = new FrameSplitter();
  let pending: { resolve: () => void; reject: (error: Error) => void } | null = null;
  let deadlineAt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const checkDeadline = () => {
    timer = null;
    if (pending === null) return;
    const leftMs = deadlineAt - performance.now();
    if (leftMs > 0) timer = setTimeout(checkDeadline, leftMs);
    else pending.reject(new Error("no reply within 2 s"));
  };
  socket.on("data", (chunk: Uint8Array) => {
    for (const frame of splitter.push(chunk)) {
      const reply = decodeFrame(frame);
      if (
        reply.type === "R" && reply.serial === SERIAL && reply.functionCode === "02" &&
        reply.data.startsWith("12") && pending !== null
      ) {
        probe?.replied();
        const { resolve } = pending;
        pending = null;
        resolve();
      }
    }
  });
  socket.on("close", () => pending?.reject(new Error("connection closed")));
  const side: Side = async (count) => {
    for (let index = 0; index < count; index++) {
      await new Promise<void>((resolve, reject) => {
        pending = { resolve, reject };
        deadlineAt = performance.now() + 2000;
        timer ??= setTimeout(checkDeadline, 2000);
        const bytes = encodeFrame(telegram);
        if (workUs > 0) busyWait(workUs);
        if (probe === undefined) socket.write(bytes);
        else probe.write(() => socket.write(bytes));
      });
    }
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return { side, socket };
}

function busyWait(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until) {
    // the control side's stand-in for client work
  }
}

/** Bridge connections whose replies and writes `probe` records (the turnaround phase). */
async function probedConnect(
  probe: Probe,
  target: BridgeEndpoint,
  connectOptions: ConnectOptions,
): Promise<BridgeConnection> {
  const connection = await connectBridge(target, connectOptions);
  const listen = connection.listen.bind(connection);
  const unlisten = connection.unlisten.bind(connection);
  const write = connection.write.bind(connection);
  const probed = new WeakMap<Receiver, Receiver>();
  return Object.assign(connection, {
    listen: (receiver: Receiver) => {
      const wrapper: Receiver = {
        receive: (incoming: Incoming) => {
          probe.replied();
          receiver.receive(incoming);
        },
        closed: (error: ConnectionError) => receiver.closed?.(error),
      };
      probed.set(receiver, wrapper);
      listen(wrapper);
    },
    unlisten: (receiver: Receiver) => unlisten(probed.get(receiver) ?? receiver),
    write: (bytes: Uint8Array) => probe.write(() => write(bytes)),
  });
}

async function rawBareSide(): Promise<{ side: Side; socket: Socket }> {
  const socket = await openSocket();
  const frame = encodeFrame(telegram);
  let replied: (() => void) | null = null;
  socket.on("data", (chunk: Uint8Array) => {
    if (chunk.includes(0x3e)) replied?.();
  });
  const side: Side = async (count) => {
    for (let index = 0; index < count; index++) {
      await new Promise<void>((resolve) => {
        replied = resolve;
        socket.write(frame);
      });
    }
  };
  return { side, socket };
}

function sendSide(acquire: AcquireConnection): Side {
  const batch = [telegram];
  const sendOptions = { ...options, acquire };
  return async (count) => {
    for (let index = 0; index < count; index++) {
      const result = await sendTelegrams(batch, sendOptions);
      if (result.outcome !== "replied") throw new Error(`read ${index}: ${result.outcome}`);
    }
  };
}

interface Totals {
  ms: number;
  cpuUs: number;
}

/** Runs `count` reads of `side`, adds wall and CPU time to `totals`, returns the wall ms. */
async function timed(side: Side, count: number, totals: Totals): Promise<number> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await side(count);
  const elapsedMs = performance.now() - started;
  totals.ms += elapsedMs;
  const used = process.cpuUsage(cpu);
  totals.cpuUs += used.user + used.system;
  return elapsedMs;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round3 = (value: number) => Math.round(value * 1000) / 1000;
const percentiles = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return [0.1, 0.5, 0.9].map((at) => Math.round(sorted[Math.floor(at * sorted.length)]! * 10) / 10);
};

// Turnaround phase.
const rawProbe = new Probe();
const pooledProbe = new Probe();
const probedRaw = await rawSide({ probe: rawProbe });
const probedPool = createBridgePool(endpoint, {
  connect: (target, connectOptions) => probedConnect(pooledProbe, target, connectOptions),
});
const probedPooled = sendSide(poolAcquirer(probedPool, endpoint));
await probedRaw.side(2000);
await probedPooled(2000);
for (const probe of [rawProbe, pooledProbe]) probe.reset();
for (let block = 0; block < 20; block++) {
  await probedRaw.side(BLOCK);
  await probedPooled(BLOCK);
}
probedRaw.socket.destroy();
await probedPool.close();
const extraWorkUs = Math.max(0, median(pooledProbe.turnaroundUs) - median(rawProbe.turnaroundUs));

// Interleaved rounds.
const raw = await rawSide();
const rawBare = await rawBareSide();
const rawPlusWork = await rawSide({ workUs: extraWorkUs });
const pool = createBridgePool(endpoint);
const pooled = sendSide(poolAcquirer(pool, endpoint));
const interleaved: [string, Side][] = [
  ["raw", raw.side],
  ["raw_bare", rawBare.side],
  ["raw_plus_work", rawPlusWork.side],
  ["pooled", pooled],
];
// Warm-up (JIT, the pool's connection) on every side.
for (const [, side] of interleaved) await side(2000);

const perRound: Record<string, { msPerRead: number[]; cpuUsPerRead: number[] }> = {};
const ratios: Record<string, number[]> = { raw: [], raw_bare: [], raw_plus_work: [] };
const blockRatios: Record<string, number[]> = { raw: [], raw_bare: [], raw_plus_work: [] };
for (let round = 0; round < rounds; round++) {
  const totals: Record<string, Totals> = {};
  for (const [name] of interleaved) totals[name] = { ms: 0, cpuUs: 0 };
  for (let block = 0; block * BLOCK < reads; block++) {
    const count = Math.min(BLOCK, reads - block * BLOCK);
    const blockMs: Record<string, number> = {};
    for (let turn = 0; turn < interleaved.length; turn++) {
      const [name, side] = interleaved[(block + round + turn) % interleaved.length]!;
      blockMs[name] = await timed(side, count, totals[name]!);
    }
    for (const [name, list] of Object.entries(blockRatios)) {
      list.push(blockMs.pooled! / blockMs[name]!);
    }
  }
  for (const [name] of interleaved) {
    const entry = perRound[name] ??= { msPerRead: [], cpuUsPerRead: [] };
    entry.msPerRead.push(totals[name]!.ms / reads);
    entry.cpuUsPerRead.push(totals[name]!.cpuUs / reads);
  }
  for (const [name, list] of Object.entries(ratios)) {
    list.push(totals.pooled!.ms / totals[name]!.ms);
  }
}
for (const each of [raw, rawBare, rawPlusWork]) each.socket.destroy();
await pool.close();

/** A new connection per read, closed on release: the baseline the pool is measured against. */
function newConnectionPerRead(target: BridgeEndpoint): AcquireConnection {
  return async (signal) => {
    const connection = await connectBridge(target, { timeoutMs: 2000, signal });
    return {
      connection,
      key: endpointLabel(target),
      reused: false,
      createdAt: connection.createdAtMs,
      release: () => connection.close(),
    };
  };
}

// A new connection per read: its own phase (connection churn would disturb the others).
const perReadConnection = sendSide(newConnectionPerRead(endpoint));
await perReadConnection(200);
const perReadMs: number[] = [];
for (let round = 0; round < Math.min(rounds, 5); round++) {
  const totals = { ms: 0, cpuUs: 0 };
  await timed(perReadConnection, reads, totals);
  perReadMs.push(totals.ms / reads);
}

const summary = (name: string) => ({
  ms_per_read_median: round3(median(perRound[name]!.msPerRead)),
  ms_per_read_rounds: perRound[name]!.msPerRead.map(round3),
  cpu_us_per_read_median: Math.round(median(perRound[name]!.cpuUsPerRead) * 10) / 10,
});
console.log(JSON.stringify({
  reads_per_round: reads,
  rounds,
  raw: summary("raw"),
  raw_bare: summary("raw_bare"),
  raw_plus_work: { work_us: Math.round(extraWorkUs * 10) / 10, ...summary("raw_plus_work") },
  pooled: summary("pooled"),
  per_read_connection: {
    ms_per_read_median: round3(median(perReadMs)),
    ms_per_read_rounds: perReadMs.map(round3),
  },
  pooled_overhead_over_raw: round3(median(blockRatios.raw!) - 1),
  pooled_overhead_over_raw_by_round: round3(median(ratios.raw!) - 1),
  pooled_overhead_over_raw_rounds: ratios.raw!.map((ratio) => round3(ratio - 1)),
  pooled_overhead_over_raw_bare: round3(median(blockRatios.raw_bare!) - 1),
  pooled_overhead_over_raw_plus_work: round3(median(blockRatios.raw_plus_work!) - 1),
  turnaround_p10_p50_p90: {
    raw_us: percentiles(rawProbe.turnaroundUs),
    pooled_us: percentiles(pooledProbe.turnaroundUs),
    raw_write_call_us: percentiles(rawProbe.writeUs),
    pooled_write_call_us: percentiles(pooledProbe.writeUs),
  },
  speedup_pooled_vs_per_read_connection: Math.round(
    (median(perReadMs) / median(perRound.pooled!.msPerRead)) * 100,
  ) / 100,
}));
process.exit(0);
