import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { REPO_ROOT } from "./support/cli.ts";

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

const srcFiles = await sourceFiles(join(REPO_ROOT, "src"));
const layer = (path: string) => relative(join(REPO_ROOT, "src"), path).split("/")[0]!;

/** Which src/ folders each folder may import (DESIGN.md: arrows point downward only). */
const ALLOWED_IMPORTS: Record<string, string[]> = {
  cli: [
    "cli",
    "doctor",
    "focus",
    "sockets",
    "conbus",
    "kitty",
    "compositor",
    "resilience",
    "platform",
  ],
  doctor: ["doctor", "focus", "sockets", "conbus", "kitty", "compositor", "resilience", "platform"],
  focus: ["focus", "kitty", "compositor", "resilience", "platform"],
  sockets: ["sockets", "kitty", "compositor", "resilience", "platform"],
  conbus: ["conbus", "resilience", "platform"],
  kitty: ["kitty", "resilience", "platform"],
  compositor: ["compositor", "resilience", "platform"],
  resilience: ["resilience", "platform"],
  platform: ["platform"],
};

/**
 * The one place that may reach a runtime's own namespace: `tether focus` keeps Bun's JIT idle,
 * feature-detected through `globalThis` (README "Stack decisions").
 */
const RUNTIME_SPECIFIC_FILES = ["src/platform/runtime_memory.ts"];

/** `Deno.x`, `Deno?.x`, `Deno["x"]`, `globalThis.Deno`, `"Deno" in globalThis`; not the word in prose. */
function runtimeAccess(name: string): RegExp {
  return new RegExp(
    `\\b${name}\\s*(\\.|\\?\\.|\\[)|globalThis\\s*\\.\\s*${name}\\b|["'\`]${name}["'\`]`,
  );
}

Deno.test("runtimeAccess finds code, not prose", () => {
  for (
    const code of ["Deno.env.get", "Deno?.pid", 'Deno["env"]', "globalThis.Deno", '"Deno" in x']
  ) {
    assert.match(code, runtimeAccess("Deno"), code);
  }
  assert.match("Bun.gc(true)", runtimeAccess("Bun"));
  assert.doesNotMatch("costs ~15 µs on Deno, more than Bun", runtimeAccess("Deno"));
});

Deno.test("source uses Web APIs and node:* only, never the Deno or Bun namespace", async () => {
  for (const path of [join(REPO_ROOT, "main.ts"), ...srcFiles]) {
    const name = relative(REPO_ROOT, path);
    const text = await readFile(path, "utf8");
    assert.doesNotMatch(text, runtimeAccess("Deno"), `${name} uses Deno.*`);
    if (RUNTIME_SPECIFIC_FILES.includes(name)) continue;
    assert.doesNotMatch(text, runtimeAccess("Bun"), `${name} uses Bun.*`);
  }
});

Deno.test("imports point downward only (cli -> domains -> resilience|platform)", async () => {
  for (const path of srcFiles) {
    const from = layer(path);
    assert.ok(from in ALLOWED_IMPORTS, `unknown src folder ${from}`);
    const text = await readFile(path, "utf8");
    for (const match of text.matchAll(/from\s+"(\.[^"]+)"/g)) {
      const target = relative(join(REPO_ROOT, "src"), join(path, "..", match[1]!)).split("/")[0]!;
      if (target.startsWith("..")) continue; // deno.json
      assert.ok(
        ALLOWED_IMPORTS[from]!.includes(target),
        `${relative(REPO_ROOT, path)} imports ${match[1]} (${from} -> ${target} points upward)`,
      );
    }
  }
});

Deno.test("every exported name in src has a doc comment", async () => {
  for (const path of srcFiles) {
    const lines = (await readFile(path, "utf8")).split("\n");
    lines.forEach((line, index) => {
      if (
        !/^export (async )?(function|class|const|interface|type|enum|abstract class)\b/.test(line)
      ) {
        return;
      }
      let previous = index - 1;
      while (previous >= 0 && /^\s*(@|\/\/ deno-lint)/.test(lines[previous]!)) previous--;
      assert.match(
        lines[previous] ?? "",
        /\*\/\s*$/,
        `${relative(REPO_ROOT, path)}:${index + 1} exports without a doc comment: ${line}`,
      );
    });
  }
});

/**
 * The one file that may call the global `setTimeout`/`setInterval`: everything else takes a
 * Clock, so tests run on virtual time.
 */
const GLOBAL_TIMER_FILES = ["src/resilience/clock.ts"];

/** A call of the global timer functions; `clock.setTimeout(` and `socket.setTimeout(` are methods. */
const GLOBAL_TIMER_CALL = /(?<![.\w$])(setTimeout|setInterval)\s*\(/;

Deno.test("GLOBAL_TIMER_CALL finds global calls, not methods or declarations", () => {
  for (
    const code of ["setTimeout(() => {}, 1)", "const t = setInterval(f, 5)", "(setTimeout (f))"]
  ) {
    assert.match(code, GLOBAL_TIMER_CALL, code);
  }
  for (const code of ["clock.setTimeout(f, 1)", "socket.setTimeout(5)", "nodeSetTimeout(f, 1)"]) {
    assert.doesNotMatch(code, GLOBAL_TIMER_CALL, code);
  }
});

Deno.test("time is the clock's: a global setTimeout/setInterval only in resilience/clock.ts", async () => {
  for (const path of srcFiles) {
    const name = relative(REPO_ROOT, path);
    if (GLOBAL_TIMER_FILES.includes(name)) continue;
    const lines = (await readFile(path, "utf8")).split("\n");
    lines.forEach((line, index) => {
      if (/^\s*(\*|\/\/)/.test(line)) return; // doc comments and examples
      assert.doesNotMatch(
        line,
        GLOBAL_TIMER_CALL,
        `${name}:${index + 1} calls a global timer; take a Clock (resilience/clock.ts) instead`,
      );
    });
  }
});

/** Words a doc comment may add to the name's and still say nothing more. */
const FILLER_WORDS = new Set(["a", "an", "the", "returns"]);

/** Lower-case words of a name (`socketTimeoutMs`, `SOCKET_KINDS`) or of prose. */
function words(text: string): string[] {
  return text.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase().split(/[^a-z0-9]+/).filter((word) => word !== "");
}

/**
 * Whether a doc comment's prose (before its first `@` tag) only restates the name it documents:
 * `/** The bridge. *\/` on `bridge`, `/** Counters. *\/` on `counters`.
 */
function restatesName(comment: string, name: string): boolean {
  const prose = comment.split("\n").map((line) => line.replace(/^\s*\*?\s?/, "")).join("\n")
    .split(/^@/m)[0]!;
  const proseWords = words(prose);
  const nameWords = new Set(words(name));
  return proseWords.length > 0 &&
    proseWords.every((word) => nameWords.has(word) || FILLER_WORDS.has(word));
}

/** A declaration's or member's name on the line after a doc comment (null: something else). */
function declaredName(line: string): string | null {
  const declaration = line.match(
    /^\s*(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|var|interface|type|enum)\s+([A-Za-z_$][\w$]*)/,
  );
  const member = line.match(
    /^\s*(?:(?:readonly|static|private|public|protected|override|async|get|set)\s+)*#?([A-Za-z_$][\w$]*)\??\s*[:(=<]/,
  );
  return (declaration ?? member)?.[1] ?? null;
}

Deno.test("restatesName refuses a comment that is only the name, not one that adds knowledge", () => {
  assert.ok(restatesName(" The bridge. ", "bridge"));
  assert.ok(restatesName("\n * Counters.\n * @default {0}\n ", "counters"));
  assert.ok(restatesName(" `--socket-timeout`, ms. ", "socketTimeoutMs"));
  assert.ok(restatesName(" Returns the socket kinds. ", "SOCKET_KINDS"));
  assert.ok(!restatesName(" The bridge's address as typed after `--host`. ", "host"));
  assert.ok(!restatesName(" Width in cells; always at least 1. ", "columns"));
  assert.equal(declaredName("export const SOCKET_KINDS = ["), "SOCKET_KINDS");
  assert.equal(declaredName("  readonly counters: Counters;"), "counters");
  assert.equal(declaredName("  socketTimeoutMs?: number;"), "socketTimeoutMs");
});

Deno.test("doc comments add knowledge: none only restates the name it documents", async () => {
  const offenders: string[] = [];
  for (const path of [join(REPO_ROOT, "main.ts"), ...srcFiles]) {
    const name = relative(REPO_ROOT, path);
    const text = await readFile(path, "utf8");
    for (const match of text.matchAll(/\/\*\*([\s\S]*?)\*\/[ \t]*\n(?:[ \t]*@.*\n)*([^\n]*)/g)) {
      const documented = declaredName(match[2]!);
      if (documented !== null && restatesName(match[1]!, documented)) {
        const line = text.slice(0, match.index).split("\n").length;
        offenders.push(`${name}:${line} ${documented}: /**${match[1]}*/`);
      }
    }
  }
  assert.deepEqual(offenders, [], "say what the name does not: unit, range, source, why");
});

/** The src/ files `path` imports statically (`import … from "./x.ts"`, `export … from`, `import "./x.ts"`). */
function localImports(path: string, text: string): string[] {
  const targets: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^;]*?["'](\.[^"']+)["']/gm)) {
    targets.push(join(path, "..", match[1]!));
  }
  return targets;
}

/** The first import cycle found by depth-first search, as a path that ends where it starts. */
function findImportCycle(graph: Map<string, string[]>): string[] | null {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (file: string): string[] | null => {
    const start = onPath.indexOf(file);
    if (start !== -1) return [...onPath.slice(start), file];
    if (done.has(file)) return null;
    onPath.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle !== null) return cycle;
    }
    onPath.pop();
    done.add(file);
    return null;
  };
  for (const file of [...graph.keys()].sort()) {
    const cycle = visit(file);
    if (cycle !== null) return cycle;
  }
  return null;
}

Deno.test("findImportCycle reports the cycle's path, and none in a tree", () => {
  const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a", "d"]], ["d", []]]);
  assert.deepEqual(findImportCycle(graph), ["a", "b", "c", "a"]);
  assert.equal(findImportCycle(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]])), null);
  assert.deepEqual(localImports("/r/src/x/y.ts", 'import type { A } from "./a.ts";\n'), [
    "/r/src/x/a.ts",
  ]);
  assert.deepEqual(
    localImports("/r/src/x/y.ts", 'import {\n  b,\n} from "../b.ts";\nexport { c } from "./c.ts";'),
    ["/r/src/b.ts", "/r/src/x/c.ts"],
  );
});

Deno.test("no import cycles among src/ files (type-only imports included)", async () => {
  const graph = new Map<string, string[]>();
  for (const path of srcFiles) {
    const name = relative(REPO_ROOT, path);
    const imports = localImports(path, await readFile(path, "utf8"));
    graph.set(name, imports.map((target) => relative(REPO_ROOT, target)));
  }
  const cycle = findImportCycle(graph);
  assert.equal(cycle, null, `import cycle: ${cycle?.join(" -> ")}`);
});

/**
 * Non-blank lines that are not comments: `//` lines and block comments that begin a line
 * (doc comments) do not count; code after a closing `*\/` does.
 */
function codeLines(text: string): number {
  let count = 0;
  let inBlock = false;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (inBlock) {
      const end = line.indexOf("*/");
      if (end === -1) continue;
      inBlock = false;
      if (line.slice(end + 2).trim() !== "") count++;
      continue;
    }
    if (line === "" || line.startsWith("//")) continue;
    if (line.startsWith("/*")) {
      const end = line.indexOf("*/", 2);
      if (end === -1) inBlock = true;
      else if (line.slice(end + 2).trim() !== "") count++;
      continue;
    }
    count++;
  }
  return count;
}

/** A src/ file past this many code lines usually holds two concepts (STYLE.md). */
const MAX_CODE_LINES = 350;

/**
 * Files being shrunk right now by other issue-13 helpers, with the owner; removed at merge
 * (the test fails once an exempt file fits, so the entry cannot outlive its reason).
 */
const CODE_LINES_EXEMPT: Record<string, string> = {};

Deno.test("codeLines counts code, not blank lines or comments", () => {
  const text = [
    "/**",
    " * doc",
    " */",
    "export const a = 1; // trailing comments do not hide code",
    "",
    "// a line comment",
    "/* one-line block */",
    "/* block */ const b = 2;",
    "const c = `text with // inside`;",
  ].join("\n");
  assert.equal(codeLines(text), 3);
});

Deno.test(`no src/ file over ${MAX_CODE_LINES} code lines`, async () => {
  const tooLong: string[] = [];
  for (const path of srcFiles) {
    const name = relative(REPO_ROOT, path);
    const lines = codeLines(await readFile(path, "utf8"));
    if (name in CODE_LINES_EXEMPT) {
      assert.ok(lines > MAX_CODE_LINES, `${name} fits now (${lines}): drop its exemption`);
    } else if (lines > MAX_CODE_LINES) {
      tooLong.push(`${name}: ${lines}`);
    }
  }
  assert.deepEqual(tooLong, [], "split these files (one concept per file)");
});

/**
 * Test support in one place (tests/support/, tests/fakes/): what each rule forbids elsewhere in
 * tests/, and the files allowed to do it.
 */
const TEST_SUPPORT_RULES: { what: string; pattern: RegExp; allowed: string[] }[] = [
  {
    what: "a hand-made sleep (use sleep() or waitFor() from tests/support/wait.ts)",
    pattern: /setTimeout\(\s*(resolve|r)\s*[,)]/,
    allowed: ["tests/support/wait.ts"],
  },
  {
    what: "a local wait helper (use waitFor() from tests/support/wait.ts)",
    pattern: /function\s+(waitUntil|until|waitFor)\s*[<(]|const\s+(waitUntil|until|waitFor)\s*=/,
    allowed: ["tests/support/wait.ts"],
  },
  {
    what: "a second random generator or an unseeded random (use tests/support/seeded_random.ts)",
    pattern: /mulberry|0x6d2b79f5|Math\.random\(/,
    allowed: [
      "tests/support/seeded_random.ts",
      "tests/support/tmux.ts", // a unique tmux server name, not test data
    ],
  },
  {
    what: "a second fake clock (use tests/support/virtual_clock.ts)",
    pattern: /(class\s+\w+\s+implements\s+Clock\b)|manualClock|fakeClock/,
    allowed: ["tests/support/virtual_clock.ts"],
  },
];

Deno.test("tests wait, randomize and fake time only through tests/support", async () => {
  const testFiles = await sourceFiles(join(REPO_ROOT, "tests"));
  const offenders: string[] = [];
  for (const file of testFiles) {
    const path = relative(REPO_ROOT, file);
    if (path === "tests/architecture_test.ts") continue;
    const lines = (await readFile(file, "utf8")).split("\n");
    for (const rule of TEST_SUPPORT_RULES) {
      if (rule.allowed.includes(path)) continue;
      lines.forEach((line, index) => {
        if (rule.pattern.test(line)) offenders.push(`${path}:${index + 1}: ${rule.what}`);
      });
    }
  }
  assert.deepEqual(offenders, []);
});
