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

/**
 * Files whose name-restating comments are fixed at merge by the lead (issue 13: their owners
 * restructure them in parallel; comment-only fixes there would only conflict).
 */
const RESTATING_COMMENTS_FIXED_AT_MERGE = [
  "src/resilience/pool.ts",
  "src/resilience/status.ts",
];

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
    if (RESTATING_COMMENTS_FIXED_AT_MERGE.includes(name)) continue;
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

/**
 * Test support in one place (tests/support/, tests/fakes/): what each rule forbids elsewhere in
 * tests/, and the files allowed to do it. tests/focus/tracker_test.ts is rewritten onto the shared
 * clock and waits in the same round (issue 13); drop it from the list once it is.
 */
const TEST_SUPPORT_RULES: { what: string; pattern: RegExp; allowed: string[] }[] = [
  {
    what: "a hand-made sleep (use sleep() or waitFor() from tests/support/wait.ts)",
    pattern: /setTimeout\(\s*(resolve|r)\s*[,)]/,
    allowed: ["tests/support/wait.ts", "tests/focus/tracker_test.ts"],
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
    allowed: ["tests/support/virtual_clock.ts", "tests/focus/tracker_test.ts"],
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
