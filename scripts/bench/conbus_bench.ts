/**
 * In-process part of scripts/bench/conbus.sh: N reads of `S0020044964F02D12` against the FAKE
 * bridge (no real bridge exists here), with zero reply delay, three ways:
 * - raw: one TCP socket, write the frame, wait for the `>` of the reply (the floor);
 * - pooled: `sendTelegrams` through the shared pool (one connection reused);
 * - per-read: `sendTelegrams` with a new connection per read.
 * Prints one JSON object with total and per-read milliseconds.
 *
 *   deno run -A scripts/bench/conbus_bench.ts <port of a single-client fake> <port of a multi-client fake> [N]
 */
import { createConnection } from "node:net";
import process from "node:process";
import { createBridgePool, oneShotAcquirer, poolAcquirer } from "../../src/conbus/bridge_pool.ts";
import { sendTelegrams } from "../../src/conbus/conbus_client.ts";
import { encodeFrame, telegramFromBody } from "../../src/conbus/telegram_codec.ts";

const [singlePort, multiPort, countArg] = process.argv.slice(2).map(Number);
const count = countArg || 1000;
const telegram = telegramFromBody("S0020044964F02D12");
const options = { timeoutMs: 2000, quietMs: 500, minGapMs: 0 };

async function raw(port: number): Promise<number> {
  const socket = createConnection({ host: "127.0.0.1", port });
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.setNoDelay(true);
  const frame = encodeFrame(telegram);
  let waiting: (() => void) | null = null;
  socket.on("data", (chunk: Uint8Array) => {
    if (chunk.includes(0x3e)) waiting?.();
  });
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    await new Promise<void>((resolve) => {
      waiting = resolve;
      socket.write(frame);
    });
  }
  const elapsed = performance.now() - started;
  socket.destroy();
  return elapsed;
}

async function pooled(port: number): Promise<number> {
  const endpoint = { host: "127.0.0.1", port };
  const pool = createBridgePool(endpoint);
  const acquire = poolAcquirer(pool, endpoint);
  await sendTelegrams([telegram], { ...options, acquire }); // open the connection first
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const result = await sendTelegrams([telegram], { ...options, acquire });
    if (result.outcome !== "replied") throw new Error(`read ${index}: ${result.outcome}`);
  }
  const elapsed = performance.now() - started;
  await pool.close();
  return elapsed;
}

async function perRead(port: number): Promise<number> {
  const acquire = oneShotAcquirer({ host: "127.0.0.1", port });
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const result = await sendTelegrams([telegram], { ...options, acquire });
    if (result.outcome !== "replied") throw new Error(`read ${index}: ${result.outcome}`);
  }
  return performance.now() - started;
}

// The single-client fake re-listens a moment after a client leaves.
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
// Warm-up (JIT) on both paths, then the measured runs.
await pooled(singlePort!);
await settle();
await raw(singlePort!);
await settle();
const rawMs = await raw(singlePort!);
await settle();
const pooledMs = await pooled(singlePort!);
const perReadMs = await perRead(multiPort!);
const perOp = (ms: number) => Math.round((ms / count) * 1000) / 1000;
console.log(JSON.stringify({
  reads: count,
  raw_ms: Math.round(rawMs),
  pooled_ms: Math.round(pooledMs),
  per_read_connection_ms: Math.round(perReadMs),
  raw_per_read_ms: perOp(rawMs),
  pooled_per_read_ms: perOp(pooledMs),
  per_read_connection_per_read_ms: perOp(perReadMs),
  pooled_overhead_over_raw: Math.round((pooledMs / rawMs - 1) * 1000) / 1000,
  speedup_pooled_vs_per_read_connection: Math.round((perReadMs / pooledMs) * 100) / 100,
}));
process.exit(0);
