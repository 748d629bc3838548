/**
 * `socket-health --watch` in a real pseudo-terminal (tmux, 40 and 80 columns) with a stale
 * sway socket, whose error note is far wider than the terminal: the screen must hold exactly
 * one header and one line per socket after many redraws (no piled-up copies), every line cut
 * with … instead of wrapping, also after a resize; `TERM=dumb` gets plain appended blocks.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startFakeSway } from "../fakes/sway_peer.ts";
import { tetherCommand } from "../support/cli.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";
import { sleep, waitFor } from "../support/wait.ts";
import { tempDir } from "../support/temp_dir.ts";

const UID = process.getuid!();

/** A tmux server of its own (`-L`), killed (by its socket, not by name) in `close`. */
function tmux(name: string) {
  const run = (...args: string[]) => {
    const result = spawnSync("tmux", ["-L", name, "-f", "/dev/null", ...args], {
      encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  };
  return {
    run,
    screen: () => run("capture-pane", "-p", "-t", "watch").replace(/\n+$/, "").split("\n"),
    close: () => spawnSync("tmux", ["-L", name, "kill-server"]),
  };
}

const shellQuote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/** Waits until the tmux screen passes `check`; the timeout error shows the last screen. */
function waitForScreen(
  what: string,
  screen: () => string[],
  check: (lines: string[]) => boolean,
  timeoutMs = 30_000,
): Promise<string[]> {
  let lines: string[] = [];
  return waitFor(
    () => `${what}; screen:\n${lines.join("\n")}`,
    () => {
      lines = screen();
      return check(lines) && lines;
    },
    timeoutMs,
    100,
  );
}

async function withWatch(
  options: { columns: number; term?: string },
  run: (context: { term: ReturnType<typeof tmux>; rt: string; stale: string }) => Promise<void>,
): Promise<void> {
  await using rootDir = await tempDir("tether-watch-tty-");
  const root = rootDir.path;
  const rt = join(root, "run");
  mkdirSync(rt, { mode: 0o700 });
  const stale = join(rt, `sway-ipc.${UID}.7001.sock`);
  await createStaleSockets([stale]);
  const live = await startFakeSway(join(rt, `sway-ipc.${UID}.7002.sock`));
  const term = tmux(`tether-watch-${process.pid}-${options.columns}-${options.term ?? "tty"}`);
  try {
    const command = [
      "env",
      "-u",
      "NO_COLOR", // scripts/env.sh sets it for the test run; a user's terminal has colour
      `XDG_RUNTIME_DIR=${rt}`,
      ...(options.term ? [`TERM=${options.term}`] : []),
      ...tetherCommand(),
      "socket-health",
      "--watch",
      "--interval",
      "0.2",
    ].map(shellQuote).join(" ");
    term.run(
      "new-session",
      "-d",
      "-s",
      "watch",
      "-x",
      String(options.columns),
      "-y",
      "24",
      `${command}; sleep 600`,
    );
    await run({ term, rt, stale });
  } finally {
    term.close();
    await live.close();
  }
}

/** Waits for several rounds, then checks the screen holds exactly the frame, cut to fit. */
async function assertOneFrame(term: ReturnType<typeof tmux>, columns: number): Promise<string[]> {
  // Rounds run every 0.2 s: wait for the stale row, then long enough for ~10 redraws.
  await waitForScreen(
    "the stale row",
    term.screen,
    (lines) => lines.some((l) => l.startsWith("stale")),
  );
  await sleep(2500);
  const lines = term.screen();
  const text = lines.join("\n");
  assert.equal(lines.length, 3, `header + 2 sockets, nothing piled up:\n${text}`);
  assert.match(lines[0]!, /^socket-health \d\d:\d\d:\d\d, every 200 ms/);
  assert.equal(lines.filter((line) => line.startsWith("socket-health")).length, 1, text);
  for (const line of lines) assert.ok([...line].length < columns, `fits: ${line}`);
  const staleLine = lines.find((line) => line.startsWith("stale"))!;
  assert.match(staleLine, /^stale +- {2}sway/);
  assert.ok(staleLine.endsWith("…"), `the long note is cut with …: ${staleLine}`);
  assert.ok(lines.some((line) => line.startsWith("healthy")), text);
  return lines;
}

Deno.test("--watch in a 40-column terminal: one frame, lines cut with …, no pile-up", async () => {
  await withWatch({ columns: 40 }, async ({ term }) => {
    await assertOneFrame(term, 40);
  });
});

Deno.test("--watch in an 80-column terminal, then resized to 40 and back: still one frame", async () => {
  await withWatch({ columns: 80 }, async ({ term }) => {
    const wide = await assertOneFrame(term, 80);
    assert.match(
      wide.find((line) => line.startsWith("stale"))!,
      /sway-ipc\.\d+\.7001\.sock {2}connection refused/,
    );
    term.run("resize-window", "-t", "watch", "-x", "40", "-y", "24");
    await assertOneFrame(term, 40);
    term.run("resize-window", "-t", "watch", "-x", "80", "-y", "24");
    await assertOneFrame(term, 80);
  });
});

Deno.test("--watch with TERM=dumb: plain appended blocks, no escape codes, no cursor movement", async () => {
  await withWatch({ columns: 80, term: "dumb" }, async ({ term }) => {
    const lines = await waitForScreen(
      "three rounds",
      term.screen,
      (lines) => lines.filter((line) => line.startsWith("socket-health")).length >= 3,
    );
    const withEscapes = term.run("capture-pane", "-p", "-e", "-t", "watch");
    assert.ok(!withEscapes.includes("\x1b["), "no colours");
    // Each round appended its block after an empty line; notes are complete (a log keeps
    // everything: nothing is redrawn, so a wrapped line does no harm).
    const headers = lines.flatMap((line, index) => line.startsWith("socket-health") ? [index] : []);
    for (const index of headers.slice(1)) assert.equal(lines[index - 1], "", lines.join("\n"));
    assert.match(lines.join(" "), /connection refused: nothing listens on this socket/);
  });
});
