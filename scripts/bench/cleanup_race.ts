// The race figure of README "Reliability": ROUNDS rounds of SOCKETS stale sockets, each with
// scripts/bench/socket_racer.ts renaming decoys (files, symlinks) over half of them while the
// cleanup runs. Counts decoys that did not survive at their path (must be 0), races cleanup
// noticed after its first check (a file kept because it was replaced or vanished), and sockets removed. Exit 1 if a decoy was lost
// or a stale socket nobody raced was left behind.
// Usage: deno run -A scripts/bench/cleanup_race.ts [rounds (10)] [sockets (2000)] [seed]
// CLEANUP=in-process runs src/sockets/cleanup.ts in this process (what the test suite does);
// default: the compiled binary dist/tether (TETHER_BIN=path: another build, e.g. an older one).
import { runCleanup } from "../../src/sockets/cleanup.ts";

const here = new URL(".", import.meta.url).pathname;
const binary = Deno.env.get("TETHER_BIN") ??
  new URL("../../dist/tether", import.meta.url).pathname;
const uid = Deno.uid()!;

interface Decoy {
  path: string;
  ino: number;
  kind: string;
}

/** One round's outcome. */
export interface RaceRound {
  /** Decoys the racer used. */
  swaps: number;
  /** Swaps (socket out, decoy in, or back) it made while cleanup ran. */
  flips: number;
  /** Decoys whose inode no longer exists anywhere below the runtime dir (must be none). */
  lost: string[];
  /** Decoys not at their own path at the end (parked by the racer, or left in quarantine). */
  displaced: number;
  caught: number;
  removed: number;
  leftUnraced: number;
  /**
   * Quarantine directories cleanup left behind: one when a file could not be put back because
   * the racer had refilled its path (cleanup then reports it as failed), else 0.
   */
  quarantines: number;
  /** Files left inside those directories. */
  quarantinedFiles: number;
  /** `failed` entries that say a file could not be put back and where it now is. */
  reportedStuck: number;
}

async function readUntil(reader: ReadableStreamDefaultReader<string>, marker: string) {
  let text = "";
  while (!text.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before "${marker}": ${text}`);
    text += value;
  }
  return text;
}

async function makeStale(paths: string[]): Promise<void> {
  const holder = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", `${here}socket_holder.ts`],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = holder.stdin.getWriter();
  await writer.write(new TextEncoder().encode(paths.join("\n") + "\n"));
  await writer.close();
  await readUntil(holder.stdout.pipeThrough(new TextDecoderStream()).getReader(), "ready");
  holder.kill("SIGKILL");
  await holder.status;
}

/** Options for {@link raceRound}. */
export interface RaceOptions {
  /** Stale sockets made (the racer swaps decoys over half of them). */
  sockets: number;
  /** The racer's seed. */
  seed: number;
  /** Run src/sockets/cleanup.ts in this process instead of dist/tether. */
  inProcess: boolean;
  /** How long the racer keeps swapping. Default 1000 ms (about one cleanup of 2,000). */
  spanMs?: number;
}

/** One round: stale sockets, a racer, a cleanup; what survived. */
export async function raceRound(options: RaceOptions): Promise<RaceRound> {
  const { sockets, seed, inProcess } = options;
  const rt = await Deno.makeTempDir({ prefix: "tether-race-" });
  await Deno.chmod(rt, 0o700);
  try {
    await Deno.mkdir(`${rt}/kitty`, { mode: 0o700 });
    await Deno.mkdir(`${rt}/.racer`);
    const paths = Array.from(
      { length: sockets },
      (_, i) =>
        i % 2 === 0
          ? `${rt}/sway-ipc.${uid}.${5_000_000 + i}.sock`
          : `${rt}/kitty/kitty-${5_000_000 + i}.sock`,
    );
    await makeStale(paths);
    const racer = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", `${here}socket_racer.ts`],
      env: {
        RACE_SEED: String(seed),
        RACE_STAGE: `${rt}/.racer`,
        RACE_SPAN_MS: String(options.spanMs ?? 1000),
      },
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const writer = racer.stdin.getWriter();
    const reader = racer.stdout.pipeThrough(new TextDecoderStream()).getReader();
    await writer.write(new TextEncoder().encode(paths.join("\n") + "\n\n"));
    await readUntil(reader, "ready");
    await writer.write(new TextEncoder().encode("go\n"));
    const cleanup = inProcess
      ? runCleanup({ runtimeDir: rt, env: {}, uid, dryRun: false }).then((report) => report)
      : new Deno.Command("sh", {
        // Into a file, not a pipe: older builds cut their output at 64 KB when the reader lagged.
        args: ["-c", `"$0" cleanup --json > "$1"`, binary, `${rt}/.racer/report.json`],
        env: { XDG_RUNTIME_DIR: rt },
        stderr: "inherit",
      }).output().then((out) => {
        const text = Deno.readTextFileSync(`${rt}/.racer/report.json`);
        try {
          return JSON.parse(text);
        } catch {
          throw new Error(`tether cleanup exited ${out.code}, printed: ${text.slice(0, 500)}`);
        }
      });
    const [report, racerText] = await Promise.all([cleanup, readUntil(reader, "done")]);
    await writer.close();
    await racer.status;
    const decoys: Decoy[] = racerText.split("\n").filter((line) => line.startsWith("{")).map((
      line,
    ) => JSON.parse(line));
    // A decoy is lost only if its inode is gone: it may legitimately sit elsewhere (parked by
    // the racer, or left in cleanup's quarantine when the racer refilled its path).
    const present = new Set<number>();
    const walk = (dir: string) => {
      for (const entry of Deno.readDirSync(dir)) {
        const path = `${dir}/${entry.name}`;
        present.add(Deno.lstatSync(path).ino!);
        if (entry.isDirectory) walk(path);
      }
    };
    walk(rt);
    const lost = decoys.filter((decoy) => !present.has(decoy.ino))
      .map((decoy) => `${decoy.kind} ${decoy.path}`);
    const displaced = decoys.filter((decoy) => {
      try {
        return Deno.lstatSync(decoy.path).ino !== decoy.ino;
      } catch {
        return true;
      }
    }).length;
    const flips = Number(racerText.match(/flips (\d+)/)?.[1] ?? 0);
    const raced = new Set(decoys.map((decoy) => decoy.path));
    const leftUnraced = paths.filter((path) => {
      if (raced.has(path)) return false;
      try {
        Deno.lstatSync(path);
        return true;
      } catch {
        return false;
      }
    }).length;
    // Races cleanup noticed after its first check: the file changed under it.
    const caught = (report.kept as { reason: string }[]).filter((kept) =>
      /replaced|vanished/.test(kept.reason)
    ).length;
    const quarantineDirs = [...Deno.readDirSync(rt)].filter((entry) =>
      entry.name.startsWith(".tether-cleanup-")
    );
    const quarantinedFiles = quarantineDirs.reduce(
      (count, dir) => count + [...Deno.readDirSync(`${rt}/${dir.name}`)].length,
      0,
    );
    const reportedStuck = (report.failed as { error: { message: string } }[]).filter((failed) =>
      /could not put it back/.test(failed.error.message)
    ).length;
    return {
      swaps: decoys.length,
      flips,
      lost,
      displaced,
      caught,
      removed: report.removed.length,
      leftUnraced,
      quarantines: quarantineDirs.length,
      quarantinedFiles,
      reportedStuck,
    };
  } finally {
    await Deno.remove(rt, { recursive: true });
  }
}

if (import.meta.main) {
  const rounds = Number(Deno.args[0] ?? "10");
  const sockets = Number(Deno.args[1] ?? "2000");
  const seed = Number(Deno.args[2] ?? Date.now() % 1_000_000);
  const inProcess = Deno.env.get("CLEANUP") === "in-process";
  console.log(
    `cleanup race: ${rounds} rounds x ${sockets} stale sockets, racer swaps half (seed ${seed}, ${
      inProcess ? "in-process" : "dist/tether"
    })`,
  );
  let lost = 0;
  let unraced = 0;
  let quarantines = 0;
  for (let index = 0; index < rounds; index++) {
    const result = await raceRound({ sockets, seed: seed + index, inProcess });
    lost += result.lost.length;
    unraced += result.leftUnraced;
    quarantines += result.quarantines;
    console.log(
      `  round ${index}: ${result.swaps} decoys, ${result.flips} swaps, ${result.lost.length} lost, ` +
        `${result.displaced} displaced, ` +
        `${result.caught} caught after the first check (replaced/vanished), ${result.removed} removed, ` +
        `${result.leftUnraced} unraced stale left, ${result.quarantines} quarantine dirs left`,
    );
    for (const path of result.lost.slice(0, 5)) console.log(`    LOST ${path}`);
  }
  console.log(
    `  total: ${lost} decoys lost, ${unraced} unraced stale sockets left, ` +
      `${quarantines} quarantine dirs kept (each holds a file that could not be put back ` +
      "because the racer had refilled its path; cleanup reports it as failed)",
  );
  Deno.exit(lost === 0 && unraced === 0 ? 0 : 1);
}
