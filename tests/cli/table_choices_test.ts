import assert from "node:assert/strict";
import { completeWords } from "../../src/cli/completions.ts";
import { programForInspection } from "../../src/cli/program.ts";
import { COMPOSITOR_KINDS } from "../../src/compositor/compositors.ts";
import { SOCKET_KINDS } from "../../src/sockets/socket_kinds.ts";
import { runInProcess } from "../support/cli.ts";

/** What the shell completion offers after `words` (the last one being typed). */
const completions = (...words: string[]) =>
  completeWords(programForInspection(), words).map((candidate) => candidate.value);

Deno.test("--compositor accepts and completes auto plus every row of the compositor table", () => {
  const expected = ["auto", ...COMPOSITOR_KINDS];
  assert.deepEqual(completions("focus", "--compositor", ""), expected);
  assert.deepEqual(completions("systemd", "install", "--compositor", ""), expected);
});

Deno.test("--kind accepts and completes every row of the socket-kind table", () => {
  assert.deepEqual(completions("socket-health", "--kind", ""), [...SOCKET_KINDS]);
});

Deno.test("a --compositor outside the table is a usage error naming every compositor", async () => {
  const result = await runInProcess(["focus", "--compositor", "weston"]);
  assert.equal(result.code, 2);
  for (const kind of COMPOSITOR_KINDS) assert.match(result.stderr, new RegExp(`\\b${kind}\\b`));
});
