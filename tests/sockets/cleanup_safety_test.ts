import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { runCleanup } from "../../src/sockets/cleanup.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";
import { chosenSeed, seededRandom } from "../support/seeded_random.ts";
import { tempDir } from "../support/temp_dir.ts";

const UID = process.getuid!();
const OTHER_UID = 1500;
const ROUNDS = 200;
const SEED = chosenSeed("TETHER_SAFETY_SEED");

/** A listener that never accepts, like a SIGSTOPped compositor. */
interface HungPeer {
  /** Connections left pending in its backlog. */
  pending: Deno.UnixConn[];
  /** Closes the pending connections and the listener. */
  close(): void;
}

/**
 * A hung peer, made the way a SIGSTOPped sway is one: a listening socket whose owner never
 * calls accept(). `Deno.listen` accepts only when asked to (node:net's server accepts at
 * once, so it cannot play this part). Connections still complete into the kernel's backlog
 * until it is full; with `fullBacklog` it is filled (Deno listens with a backlog of 1024), so
 * every further connect fails with EAGAIN — which the compiled binary's runtime reports as
 * ECONNREFUSED, hence the /proc/net/unix check (the real-sway test covers that runtime).
 */
async function hungPeer(path: string, fullBacklog: boolean): Promise<HungPeer> {
  const listener = Deno.listen({ transport: "unix", path });
  const pending: Deno.UnixConn[] = [];
  while (fullBacklog) {
    try {
      pending.push(await Deno.connect({ transport: "unix", path }));
    } catch (error) {
      if (error instanceof Deno.errors.WouldBlock) break; // EAGAIN: the backlog is full
      throw error;
    }
  }
  return {
    pending,
    close: () => {
      for (const connection of pending) connection.close();
      listener.close();
    },
  };
}

type Role = "stale" | "keep";
interface Planned {
  path: string;
  role: Role;
  what: string;
}

Deno.test(`randomized safety: ${ROUNDS} rounds of live/stale/decoy mixtures (seed ${SEED})`, async () => {
  const random = seededRandom(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  await using rootDir = await tempDir("tether-safety-");
  const root = rootDir.path;
  let pid = 10_000;
  const ownName = () => {
    pid++;
    return pick(
      [
        ["", `sway-ipc.${UID}.${pid}.sock`],
        ["", `niri.wayland-${pid % 5}.${pid}.sock`],
        ["i3", `ipc-socket.${pid}`],
        ["i3", `log-stream-socket.${pid}`],
        ["kitty", `kitty-${pid}.sock`],
        ["tether", `daemon${pid}.sock`],
      ] as const,
    );
  };
  // Plan every round first, so all stale sockets come from one killed process.
  const rounds: {
    rt: string;
    outside: string;
    plan: Planned[];
    live: string[];
    hung: { path: string; fullBacklog: boolean }[];
    env: Record<string, string>;
    fixups: (() => void)[];
  }[] = [];
  const allStale: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const rt = join(root, `rt${round}`);
    const outside = join(root, `outside${round}`);
    mkdirSync(rt, { mode: 0o700 });
    chmodSync(rt, 0o700);
    mkdirSync(outside);
    for (const sub of ["i3", "kitty", "tether"]) mkdirSync(join(rt, sub), { mode: 0o700 });
    const plan: Planned[] = [];
    const live: string[] = [];
    const hung: { path: string; fullBacklog: boolean }[] = [];
    const fixups: (() => void)[] = [];
    const env: Record<string, string> = {};
    const count = 1 + Math.floor(random() * 10);
    for (let i = 0; i < count; i++) {
      const [sub, name] = ownName();
      const path = join(rt, sub, name);
      const kind = pick(
        [
          "stale",
          "stale",
          "live",
          "hung",
          "symlink-to-stale",
          "symlink-to-live",
          "regular-file",
          "directory",
          "foreign-owner",
          "foreign-uid-in-name",
          "unknown-name",
          "current-live",
          "current-stale",
          "current-outside-stale",
        ] as const,
      );
      switch (kind) {
        case "stale":
          allStale.push(path);
          plan.push({ path, role: "stale", what: kind });
          break;
        case "current-stale":
          allStale.push(path);
          env[pick(["SWAYSOCK", "I3SOCK", "NIRI_SOCKET"])] = path;
          plan.push({ path, role: "stale", what: kind });
          break;
        case "live":
          live.push(path);
          plan.push({ path, role: "keep", what: kind });
          break;
        case "hung": {
          // Half of them with a full backlog (filling one takes ~1,000 connects).
          const fullBacklog = random() < 0.5;
          hung.push({ path, fullBacklog });
          plan.push({ path, role: "keep", what: fullBacklog ? "hung, full backlog" : kind });
          break;
        }
        case "current-live":
          live.push(path);
          env.SWAYSOCK = path;
          plan.push({ path, role: "keep", what: kind });
          break;
        case "current-outside-stale": {
          const elsewhere = join(outside, `sway-ipc.${UID}.${pid}.sock`);
          allStale.push(elsewhere);
          env.SWAYSOCK = elsewhere;
          plan.push({ path: elsewhere, role: "keep", what: kind });
          break;
        }
        case "symlink-to-stale":
        case "symlink-to-live": {
          const target = join(outside, `target${pid}.sock`);
          if (kind === "symlink-to-stale") allStale.push(target);
          else live.push(target);
          fixups.push(() => symlinkSync(target, path));
          plan.push({ path, role: "keep", what: kind });
          plan.push({ path: target, role: "keep", what: `${kind} target` });
          break;
        }
        case "regular-file":
          fixups.push(() => writeFileSync(path, ""));
          plan.push({ path, role: "keep", what: kind });
          break;
        case "directory":
          fixups.push(() => mkdirSync(path));
          plan.push({ path, role: "keep", what: kind });
          break;
        case "foreign-owner":
          allStale.push(path);
          fixups.push(() => chownSync(path, OTHER_UID, OTHER_UID));
          plan.push({ path, role: "keep", what: kind });
          break;
        case "foreign-uid-in-name": {
          const foreign = join(rt, `sway-ipc.${OTHER_UID}.${pid}.sock`);
          allStale.push(foreign);
          plan.push({ path: foreign, role: "keep", what: kind });
          break;
        }
        case "unknown-name": {
          const unknown = join(rt, sub, `other-${pid}.sock.old`);
          allStale.push(unknown);
          plan.push({ path: unknown, role: "keep", what: kind });
          break;
        }
      }
    }
    rounds.push({ rt, outside, plan, live, hung, env, fixups });
  }
  await createStaleSockets(allStale);
  let removedTotal = 0;
  let keptTotal = 0;
  let hungWithRoom = 0;
  let hungFull = 0;
  for (const [index, round] of rounds.entries()) {
    for (const fixup of round.fixups) fixup();
    const servers: Server[] = [];
    for (const path of round.live) {
      const server = createServer((socket) => socket.destroy()); // accepts and serves
      await new Promise<void>((resolve) => server.listen(path, resolve));
      servers.push(server);
    }
    const stopped: HungPeer[] = [];
    for (const { path, fullBacklog } of round.hung) {
      stopped.push(await hungPeer(path, fullBacklog));
    }
    const before = new Map(round.plan.map((entry) => [entry.path, lstatSync(entry.path).ino]));
    try {
      const report = await runCleanup({
        runtimeDir: round.rt,
        env: round.env,
        uid: UID,
        dryRun: false,
      });
      const context = `seed ${SEED}, round ${index}: ${JSON.stringify(round.plan)}`;
      const expected = round.plan.filter((entry) => entry.role === "stale").map((e) => e.path);
      assert.deepEqual(report.removed, [...expected].sort(), context);
      assert.deepEqual(report.failed, [], context);
      for (const entry of round.plan) {
        if (entry.role === "stale") {
          assert.equal(
            existsSync(entry.path),
            false,
            `${entry.what} ${entry.path} left; ${context}`,
          );
        } else {
          assert.equal(
            lstatSync(entry.path).ino,
            before.get(entry.path),
            `${entry.what} ${entry.path} touched; ${context}`,
          );
          keptTotal++;
        }
      }
      // The two hung cases reach cleanup differently: a completed connect into the backlog
      // of a peer that never accepts, or EAGAIN from a full backlog.
      const reasons = new Map(report.kept.map((kept) => [kept.socket_path, kept.reason]));
      for (const { path, fullBacklog } of round.hung) {
        const pattern = fullBacklog ? /backlog is full/ : /accepted a connection/;
        assert.match(reasons.get(path) ?? "", pattern, `${path}; ${context}`);
        if (fullBacklog) hungFull++;
        else hungWithRoom++;
      }
      removedTotal += expected.length;
    } finally {
      for (const server of servers) await new Promise((resolve) => server.close(resolve));
      for (const peer of stopped) peer.close();
    }
  }
  assert.ok(removedTotal > 0 && keptTotal > 0, "the mixtures exercised both outcomes");
  assert.ok(hungWithRoom > 0 && hungFull > 0, `hung cases: ${hungWithRoom} + ${hungFull} full`);
});
