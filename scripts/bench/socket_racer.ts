// The racer of the cleanup race figure (scripts/bench/cleanup_race.sh) and of the randomized
// race test: while `tether cleanup` runs, it keeps swapping decoys — regular files and
// symlinks, never sockets — in and out of stale socket paths, so some of cleanup's checks see
// the socket and its removal meets the decoy (the window a check-then-unlink cleanup loses
// in). Paths come on stdin (one per line, then an empty line); it prints "ready", waits for
// "go" on stdin, then flips a seeded random half of the paths between socket and decoy for
// RACE_SPAN_MS, and prints one JSON line per decoy ({path, ino, kind}) and finally "done".
// The caller checks that every decoy inode still exists somewhere. Env: RACE_SEED,
// RACE_SPAN_MS (default 300), RACE_STAGE (a directory on the same filesystem to park files in).
import { seededRandom } from "../../tests/support/seeded_random.ts";
const seed = Number(Deno.env.get("RACE_SEED") ?? "1");
const spanMs = Number(Deno.env.get("RACE_SPAN_MS") ?? "300");
const stage = Deno.env.get("RACE_STAGE")!;
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
let buffered = "";
async function nextLine(): Promise<string> {
  while (!buffered.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error("stdin closed");
    buffered += value;
  }
  const at = buffered.indexOf("\n");
  const line = buffered.slice(0, at);
  buffered = buffered.slice(at + 1);
  return line;
}
const paths: string[] = [];
for (let line = await nextLine(); line !== ""; line = await nextLine()) paths.push(line);

const random = seededRandom(seed);
for (let i = paths.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [paths[i], paths[j]] = [paths[j]!, paths[i]!];
}
// Decoys are staged before "go", so each swap is two moves.
const targets = paths.slice(0, Math.ceil(paths.length / 2)).map((path, index) => {
  const decoy = `${stage}/decoy-${index}`;
  const kind = index % 2 === 0 ? "file" : "symlink";
  if (kind === "file") Deno.writeTextFileSync(decoy, "decoy\n");
  else Deno.symlinkSync(`${stage}/nowhere-${index}`, decoy);
  return {
    path,
    decoy,
    parked: `${stage}/socket-${index}`,
    kind,
    ino: Deno.lstatSync(decoy).ino,
    decoyIn: false,
  };
});
// Every move is link + unlink, which never replaces what is at the destination: a racer
// using rename(2) would itself destroy a decoy that cleanup had put back under it, and that
// loss would be blamed on cleanup.
const rename = (from: string, to: string) => {
  try {
    Deno.linkSync(from, to);
  } catch {
    return false; // cleanup moved it first, or something is there already: carry on
  }
  try {
    Deno.removeSync(from);
  } catch {
    // cleanup moved `from` away in between: the file now has two names, both fine
  }
  return true;
};
console.log("ready");
await nextLine(); // "go"
const until = performance.now() + spanMs;
let flips = 0;
while (performance.now() < until) {
  const target = targets[Math.floor(random() * targets.length)]!;
  if (target.decoyIn) {
    rename(target.path, target.decoy);
    rename(target.parked, target.path);
  } else {
    rename(target.path, target.parked);
    rename(target.decoy, target.path);
  }
  target.decoyIn = !target.decoyIn;
  flips++;
}
// Leave each decoy in place, so the end state is easy to check.
for (const target of targets) {
  if (!target.decoyIn) rename(target.decoy, target.path);
}
console.log(
  targets.map((target) => JSON.stringify({ path: target.path, ino: target.ino, kind: target.kind }))
    .join("\n"),
);
console.log(`flips ${flips}`);
console.log("done");
