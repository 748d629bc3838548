/**
 * `tether focus` end to end on niri: the fake niri IPC server (tests/fakes/niri_server.ts — no
 * niri package exists here) drives two real kitty instances under Xvfb in password mode, once
 * per peer set (Debian 12's kitty 0.26.5, sid's current kitty).
 * Sizes are checked through kitty's own `ls` (window columns/lines). The tracker runs as root
 * here, like the kitty harness; tests/e2e/focus_sway_test.ts runs it as the session's user.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RealKitty, startKitty } from "../support/kitty.ts";
import { startXvfb, type XServer } from "../support/xvfb.ts";
import { forEachPeerSet } from "../support/peer_set.ts";
import { runProcess } from "../support/cli.ts";
import { type FakeNiriServer, startFakeNiri } from "../fakes/niri_server.ts";
import { requestControl } from "../../src/resilience/control_socket.ts";
import {
  startTracker,
  tetherBinary,
  type TrackerLine,
  type TrackerProcess,
} from "./focus_support.ts";
import { waitFor } from "../support/wait.ts";

const PASSWORD = `niri-e2e-${crypto.randomUUID()}`;

const isLine = (event: string, pid: number, from = 0) => ({
  match: (line: TrackerLine) => line.event === event && line.pid === pid,
  from,
  what: `${event} of kitty ${pid}`,
});

forEachPeerSet((set) =>
  Deno.test({
    name: `tether focus on niri (fake niri server, real kitty under Xvfb) ${set.label("kitty")}`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const runtimeDir = mkdtempSync(join(tmpdir(), "tether-focus-niri-"));
      const secretsDir = mkdtempSync(join(tmpdir(), "tether-focus-pw-"));
      const passwordFile = join(secretsDir, "rc.password");
      writeFileSync(passwordFile, PASSWORD + "\n", { mode: 0o600 });
      let x: XServer | null = null;
      const kitties: RealKitty[] = [];
      let niri: FakeNiriServer | null = null;
      const trackers: TrackerProcess[] = [];
      const outputs: string[] = [];
      const env = {
        PATH: "/usr/bin:/bin",
        HOME: secretsDir,
        XDG_RUNTIME_DIR: runtimeDir,
        NIRI_SOCKET: join(runtimeDir, "niri.wayland-1.4242.sock"),
        NO_COLOR: "1",
      };
      const args = ["--compositor", "niri", "--password-file", passwordFile];
      try {
        x = await startXvfb(set);
        const remoteControl = {
          mode: "password" as const,
          password: PASSWORD,
          commands: ["set-font-size", "action", "ls"],
        };
        const a = await startKitty(x, { runtimeDir, remoteControl, peers: set });
        kitties.push(a);
        const b = await startKitty(x, { runtimeDir, remoteControl, peers: set });
        kitties.push(b);
        const baseA = await a.windowSize();
        const baseB = await b.windowSize();
        niri = await startFakeNiri({
          path: env.NIRI_SOCKET,
          windows: [
            { id: 1, app_id: "kitty", pid: a.pid, title: "a" },
            { id: 2, app_id: "kitty", pid: b.pid, title: "b" },
            { id: 3, app_id: "firefox", pid: 999_999, title: "web" },
          ],
          focusedId: 1,
        });
        let tracker = await startTracker(args, env);
        trackers.push(tracker);
        const bigger = (size: { columns: number }, base: { columns: number }) =>
          size.columns < base.columns;

        await t.step("the kitty focused at start is grown", async () => {
          const line = await tracker.waitForLine((l) =>
            l.event === "focus_gained" && l.pid === a.pid
          );
          assert.equal(line.status, "success");
          assert.equal(line.window_id, 1);
          assert.equal(line.attempts, 1);
          assert.ok(bigger(await a.windowSize(), baseA));
          assert.deepEqual(await b.windowSize(), baseB);
        });

        await t.step("WindowFocusChanged A -> B: A shrinks back, B grows", async () => {
          const from = tracker.lines.length;
          niri!.focus(2);
          const gained = isLine("focus_gained", b.pid, from);
          const lost = isLine("focus_lost", a.pid, from);
          assert.equal((await tracker.waitForLine(lost.match, lost)).status, "success");
          assert.equal((await tracker.waitForLine(gained.match, gained)).status, "success");
          assert.deepEqual(await a.windowSize(), baseA);
          assert.ok(bigger(await b.windowSize(), baseB));
        });

        await t.step("focus on a non-kitty window shrinks B and touches nothing else", async () => {
          const from = tracker.lines.length;
          niri!.focus(3);
          const lost = isLine("focus_lost", b.pid, from);
          assert.equal((await tracker.waitForLine(lost.match, lost)).status, "success");
          assert.deepEqual(await b.windowSize(), baseB);
          assert.deepEqual(await a.windowSize(), baseA);
          assert.equal(
            tracker.lines.slice(from).filter((l) => l.event === "focus_gained").length,
            0,
          );
        });

        await t.step("WindowFocusChanged id:null shrinks the focused kitty", async () => {
          let from = tracker.lines.length;
          niri!.focus(1);
          const gained = isLine("focus_gained", a.pid, from);
          await tracker.waitForLine(gained.match, gained);
          from = tracker.lines.length;
          niri!.focus(null);
          const lost = isLine("focus_lost", a.pid, from);
          assert.equal((await tracker.waitForLine(lost.match, lost)).status, "success");
          assert.deepEqual(await a.windowSize(), baseA);
        });

        await t.step(
          "a window opening focused (WindowOpenedOrChanged) grows its kitty",
          async () => {
            const from = tracker.lines.length;
            niri!.openWindow({ id: 4, app_id: "kitty", pid: b.pid, title: "b2" }, {
              focused: true,
            });
            const gained = isLine("focus_gained", b.pid, from);
            const line = await tracker.waitForLine(gained.match, gained);
            assert.equal(line.window_id, 4);
            assert.equal(line.status, "success");
            assert.ok(bigger(await b.windowSize(), baseB));
          },
        );

        await t.step("focus status shows both kitties ready and niri connected", async () => {
          const status = await runProcess(["focus", "status", "--json"], {
            env,
            timeoutMs: 20_000,
          });
          outputs.push(status.stdout, status.stderr);
          assert.equal(status.code, 0, status.stderr);
          const data = JSON.parse(status.stdout);
          assert.equal(data.daemon, "focus");
          assert.equal(data.connection.status, "connected");
          assert.equal(data.connection.compositor, "niri");
          const byPid = new Map(data.kitties.map((k: { pid: number }) => [k.pid, k]));
          assert.equal((byPid.get(a.pid) as { status: string }).status, "ready");
          assert.equal((byPid.get(b.pid) as { status: string }).status, "ready");
          assert.equal(
            (byPid.get(b.pid) as { pooled: boolean }).pooled,
            set.atLeast("kitty", "0.42.2"),
            "pooled exactly from kitty 0.42.2 on",
          );
          const text = await runProcess(["focus", "status"], { env, timeoutMs: 20_000 });
          outputs.push(text.stdout, text.stderr);
          assert.match(
            text.stdout,
            new RegExp(`kitty ${b.pid}: ready — focused, enlarged \\+3 pt`),
          );
        });

        await t.step(
          "a kitty window opening unfocused is checked in the background, its font untouched",
          async () => {
            const c = await startKitty(x!, { runtimeDir, remoteControl, peers: set });
            kitties.push(c);
            const baseC = await c.windowSize();
            const from = tracker.lines.length;
            niri!.openWindow({ id: 5, app_id: "kitty", pid: c.pid, title: "c" }, {
              focused: false,
            });
            await waitFor(
              `kitty ${c.pid} to become ready in the background`,
              async () => {
                const status = await runProcess(["--json", "focus", "status"], {
                  env,
                  timeoutMs: 20_000,
                });
                outputs.push(status.stdout, status.stderr);
                assert.equal(status.code, 0, status.stderr);
                const row = JSON.parse(status.stdout).kitties.find((k: { pid: number }) =>
                  k.pid === c.pid
                ) as { status: string } | undefined;
                return row?.status === "ready";
              },
              20_000,
              250,
            );
            assert.equal(tracker.lines.slice(from).filter((l) => l.pid === c.pid).length, 0);
            assert.deepEqual(await c.windowSize(), baseC);
          },
        );

        await t.step(
          "a malformed event line is logged once, skipped, and focus keeps working",
          async () => {
            const from = tracker.lines.length;
            niri!.sendRaw("{not json");
            niri!.focus(1);
            const gainedA = isLine("focus_gained", a.pid, from);
            assert.equal((await tracker.waitForLine(gainedA.match, gainedA)).status, "success");
            const back = tracker.lines.length;
            niri!.focus(4);
            const gainedB = isLine("focus_gained", b.pid, back);
            assert.equal((await tracker.waitForLine(gainedB.match, gainedB)).status, "success");
            const warnings = tracker.output().stderr.split("\n").filter((line) =>
              line.includes("skipped an unusable event")
            );
            assert.equal(warnings.length, 1, tracker.output().stderr);
            assert.match(warnings[0]!, /niri: skipped an unusable event: .*not json/);
            assert.ok(
              !tracker.lines.some((line) => line.event === "reconnect_attempt"),
              "the stream was not reconnected",
            );
          },
        );

        await t.step("the memory control command reports the live heap", async () => {
          const report = await requestControl(join(runtimeDir, "tether", "focus.sock"), "memory", {
            timeoutMs: 10_000,
          }) as { rss: number; heap_used: number; collected: boolean };
          assert.ok(report.heap_used > 0 && report.rss > report.heap_used, JSON.stringify(report));
          // The compiled binary (Bun) always collects first; `deno run` only with --expose-gc.
          if (tetherBinary()[0]!.endsWith("/tether")) assert.equal(report.collected, true);
        });

        await t.step(
          "after a crash the next start repairs: the stale enlarged kitty shrinks",
          async () => {
            await tracker.kill(); // SIGKILL while B is enlarged
            outputs.push(tracker.output().stdout, tracker.output().stderr);
            assert.ok(existsSync(join(runtimeDir, "tether", "focus-enlarged.json")));
            niri!.focus(1); // focus moved to A while tether was down
            tracker = await startTracker(args, env);
            trackers.push(tracker);
            const lost = isLine("focus_lost", b.pid);
            const gained = isLine("focus_gained", a.pid);
            assert.equal((await tracker.waitForLine(lost.match, lost)).status, "success");
            assert.equal((await tracker.waitForLine(gained.match, gained)).status, "success");
            assert.deepEqual(await b.windowSize(), baseB);
            assert.ok(bigger(await a.windowSize(), baseA));
          },
        );

        await t.step("SIGTERM shrinks the enlarged kitty back and exits 0", async () => {
          tracker.signal("SIGTERM");
          assert.equal(await tracker.exited(), 0);
          assert.deepEqual(await a.windowSize(), baseA);
          assert.ok(!existsSync(join(runtimeDir, "tether", "focus-enlarged.json")));
          assert.ok(!existsSync(join(runtimeDir, "tether", "focus.sock")));
        });

        await t.step("the password appears in no output, log or error text", () => {
          for (const run of trackers) outputs.push(run.output().stdout, run.output().stderr);
          for (const text of outputs) assert.ok(!text.includes(PASSWORD));
        });
      } finally {
        for (const run of trackers) await run.kill();
        await niri?.close();
        for (const kitty of kitties) await kitty.stop();
        await x?.stop();
        rmSync(runtimeDir, { recursive: true, force: true });
        rmSync(secretsDir, { recursive: true, force: true });
      }
    },
  })
);
