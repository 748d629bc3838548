/**
 * socket-health and cleanup with real kitty under Xvfb, once per peer set (one password-mode
 * kitty, one without a password) and a tether daemon control socket, all in one runtime dir
 * owned by the current user. kitty is probed without a password and without side effects.
 * kitty >= 0.39 removes its own socket after SIGKILL (a `kitten __atexit__` child outlives it
 * and unlinks it); older kitty leaves it stale for cleanup.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveControlSocket } from "../../src/resilience/control_socket.ts";
import type { HealthRow } from "../../src/sockets/health.ts";
import { runInProcess } from "../support/cli.ts";
import { startKitty } from "../support/kitty.ts";
import { startXvfb } from "../support/xvfb.ts";
import { forEachPeerSet } from "../support/peer_set.ts";
import { waitFor } from "../support/wait.ts";

forEachPeerSet((set) =>
  Deno.test(
    `kitty (password and open) and tether daemons: healthy, then a killed kitty ${
      set.atLeast("kitty", "0.39") ? "removes its own socket" : "is stale and cleaned"
    } ${set.label("kitty")}`,
    async () => {
      const removesOwnSocket = set.atLeast("kitty", "0.39");
      const rt = mkdtempSync(join(tmpdir(), "tether-kitty-rt-"));
      chmodSync(rt, 0o700);
      const x = await startXvfb(set);
      const stops: (() => Promise<void>)[] = [() => x.stop()];
      try {
        const locked = await startKitty(x, {
          runtimeDir: rt,
          peers: set,
          remoteControl: { mode: "password", password: "s3cret-pw" },
        });
        stops.unshift(() => locked.stop());
        const open = await startKitty(x, {
          runtimeDir: rt,
          peers: set,
          remoteControl: { mode: "socket-only" },
        });
        stops.unshift(() => open.stop());
        const daemon = await serveControlSocket(join(rt, "tether", "focus.sock"), {
          status: () => ({
            daemon: "focus",
            pid: process.pid,
            uptime_ms: 42_000,
            reconnection_count: 3,
            connection: { status: "connected", latency_ms: 0.3 },
          }),
        });
        stops.unshift(() => daemon.close());
        const env = { XDG_RUNTIME_DIR: rt };

        const health = await runInProcess(["--json", "socket-health"], { env });
        assert.equal(health.code, 0, health.stdout + health.stderr);
        const rows: HealthRow[] = JSON.parse(health.stdout).sockets;
        const byPath = new Map(rows.map((row) => [row.socket_path, row]));
        assert.equal(byPath.get(locked.socketPath)?.status, "healthy");
        assert.match(byPath.get(locked.socketPath)!.peer!, /password mode/);
        assert.equal(byPath.get(locked.socketPath)?.kitty_remote_control, "password");
        assert.equal(byPath.get(locked.socketPath)?.owner_pid, locked.pid);
        assert.equal(byPath.get(open.socketPath)?.status, "healthy");
        assert.match(byPath.get(open.socketPath)!.peer!, /no password/);
        assert.equal(byPath.get(open.socketPath)?.kitty_remote_control, "open");
        const tether = byPath.get(join(rt, "tether", "focus.sock"))!;
        assert.equal(tether.status, "healthy");
        assert.equal(tether.reconnection_count, 3);
        assert.equal(tether.uptime_ms, 42_000);
        assert.equal(tether.owner_pid, process.pid);
        assert.doesNotMatch(health.stdout + health.stderr, /s3cret-pw/);

        // The password kitty got no prompt: it still answers its own (encrypted) ls.
        assert.ok((await locked.ls()).length > 0);

        open.signal("SIGKILL");
        await open.exited();
        if (removesOwnSocket) {
          // kitty's atexit child unlinks the socket once kitty is gone: nothing left to clean.
          await waitFor("kitty's atexit child to remove its socket", () =>
            existsSync(open.socketPath) ? undefined : true);
          const cleanup = await runInProcess(["--json", "cleanup"], { env });
          assert.equal(cleanup.code, 0, cleanup.stderr);
          assert.deepEqual(JSON.parse(cleanup.stdout).removed, []);
          assert.equal(existsSync(locked.socketPath), true);
          return;
        }
        const stale = await runInProcess(["--json", "socket-health", "--kind", "kitty"], { env });
        assert.equal(stale.code, 1);
        const kittyRows: HealthRow[] = JSON.parse(stale.stdout).sockets;
        assert.equal(
          kittyRows.find((row) =>
            row.socket_path === open.socketPath
          )?.status,
          "stale",
        );

        const cleanup = await runInProcess(["--json", "cleanup"], { env });
        assert.equal(cleanup.code, 0, cleanup.stderr);
        assert.deepEqual(JSON.parse(cleanup.stdout).removed, [open.socketPath]);
        assert.equal(existsSync(open.socketPath), false);
        assert.equal(existsSync(locked.socketPath), true);
        assert.equal(existsSync(join(rt, "tether", "focus.sock")), true);
      } finally {
        for (const stop of stops) await stop();
        rmSync(rt, { recursive: true, force: true });
      }
    },
  )
);
