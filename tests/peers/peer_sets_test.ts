/**
 * The peer-set harness itself: each set's sway, i3 and kitty start through tests/support and
 * report exactly the version the set names (so a sid test never silently runs the host's
 * binaries, nor the other way round).
 */
import assert from "node:assert/strict";
import { compareVersions, forEachPeerSet } from "../support/peer_set.ts";
import { startSway } from "../support/sway.ts";
import { startI3 } from "../support/i3.ts";
import { startXvfb } from "../support/xvfb.ts";
import { startKitty } from "../support/kitty.ts";
import { run } from "../support/test_user.ts";

Deno.test("compareVersions orders dotted versions numerically", () => {
  assert.ok(compareVersions("0.42.2", "0.42.10") < 0);
  assert.ok(compareVersions("1.12", "1.7") > 0);
  assert.equal(compareVersions("4.25", "4.25.0"), 0);
});

Deno.test("a missing sid root fails its tests loudly, naming scripts/peers.sh (never a skip)", async () => {
  const script = [
    `const { SID, PEER_SETS } = await import(${
      JSON.stringify(import.meta.resolve("../support/peer_set.ts"))
    });`,
    `console.log(PEER_SETS.map((set) => set.name).join(","), SID.label("kitty"));`,
    `try { SID.wrap(["true"]); } catch (error) { console.log(error.message); }`,
  ].join("\n");
  const result = await run([Deno.execPath(), "eval", "--no-check", script], {
    spawn: {
      env: { ...Deno.env.toObject(), TETHER_PEERS_DIR: "/nonexistent-peers", TETHER_PEER_SETS: "" },
    },
  });
  const [sets, message] = result.stdout.trim().split("\n");
  assert.equal(sets, "debian12,sid [sid: unusable]");
  assert.match(message!, /no peer root at \/nonexistent-peers\/sid — run scripts\/peers\.sh/);
});

forEachPeerSet((set) =>
  Deno.test({
    name: `peer set ${set.name}: sway, i3 and kitty run and are the versions named ${set.label()}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      set.assertReady();
      const versions = set.versions();
      const sway = await startSway({ peers: set });
      try {
        const reply = JSON.parse((await sway.swaymsg(["-t", "get_version", "-r"])).stdout);
        assert.equal(
          `${reply.major}.${reply.minor}`,
          versions.sway.split(".").slice(0, 2).join("."),
        );
      } finally {
        await sway.stop();
      }
      const i3 = await startI3({ peers: set });
      try {
        const reply = JSON.parse((await i3.i3msg(["-t", "get_version"])).stdout);
        assert.ok(
          String(reply.human_readable).startsWith(versions.i3),
          `${reply.human_readable} vs ${versions.i3}`,
        );
      } finally {
        await i3.stop();
      }
      const x = await startXvfb(set);
      try {
        const kitty = await startKitty(x, { peers: set });
        try {
          const exe = await run(set.wrap(["kitty", "--version"]));
          assert.match(exe.stdout, new RegExp(`^kitty ${versions.kitty.replaceAll(".", "\\.")} `));
          assert.ok((await kitty.windowSize()).columns > 0);
        } finally {
          await kitty.stop();
        }
      } finally {
        await x.stop();
      }
    },
  })
);
