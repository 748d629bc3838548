// The racer of the cleanup race figure (scripts/bench/cleanup_race.sh) and of the randomized
// race test: while `tether cleanup` runs, it renames decoys — regular files and symlinks, never
// sockets — over stale socket paths, trying to land between cleanup's checks and its removal.
// Paths come on stdin (one per line, then an empty line); it prints "ready", waits for "go" on
// stdin, then swaps a seeded random half of the paths (each once) spread over RACE_SPAN_MS, and
// prints one JSON line per decoy ({path, ino, kind}) and finally "done". The caller checks that
// every decoy is still at its path afterwards. Env: RACE_SEED, RACE_SPAN_MS (default 300),
// RACE_STAGE (a directory on the same filesystem for staging decoys).
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

let state = seed >>> 0; // mulberry32
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
for (let i = paths.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [paths[i], paths[j]] = [paths[j]!, paths[i]!];
}
const targets = paths.slice(0, Math.ceil(paths.length / 2));
// Decoys are staged before "go", so each swap is one rename(2).
const staged = targets.map((path, index) => {
  const decoy = `${stage}/decoy-${index}`;
  const kind = index % 2 === 0 ? "file" : "symlink";
  if (kind === "file") Deno.writeTextFileSync(decoy, "decoy\n");
  else Deno.symlinkSync(`${stage}/nowhere-${index}`, decoy);
  return { path, decoy, kind, ino: Deno.lstatSync(decoy).ino };
});
console.log("ready");
await nextLine(); // "go"
const spacingMs = spanMs / Math.max(1, staged.length);
const started = performance.now();
const out: string[] = [];
for (const [index, swap] of staged.entries()) {
  // Spread the swaps evenly, with jitter, over the span (busy-wait: timers are too coarse).
  const due = started + (index + random()) * spacingMs;
  while (performance.now() < due) { /* spin */ }
  Deno.renameSync(swap.decoy, swap.path);
  out.push(JSON.stringify({ path: swap.path, ino: swap.ino, kind: swap.kind }));
}
console.log(out.join("\n"));
console.log("done");
