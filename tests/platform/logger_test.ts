import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createLogger, parseLogLevel } from "../../src/platform/logger.ts";

function captured(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = createLogger({ ...options, write: (line) => lines.push(line) });
  return { logger, lines };
}

Deno.test("default level is warn: quiet unless something is wrong", () => {
  const { logger, lines } = captured({ journal: false });
  logger.debug("d");
  logger.info("i");
  logger.warn("w");
  logger.error("e");
  assert.deepEqual(lines, ["tether: warn: w", "tether: error: e"]);
});

Deno.test("under systemd each line carries its journal priority prefix", () => {
  const { logger, lines } = captured({ journal: true, level: "debug" });
  logger.debug("d");
  logger.info("i");
  logger.warn("w");
  logger.error("e");
  assert.deepEqual(lines, ["<7>d", "<6>i", "<4>w", "<3>e"]);
});

Deno.test("silent writes nothing; a message is always one line", () => {
  const silent = captured({ level: "silent" });
  silent.logger.error("e");
  assert.deepEqual(silent.lines, []);
  const { logger, lines } = captured({ journal: true });
  logger.error("two\nlines");
  assert.deepEqual(lines, ["<3>two lines"]);
});

Deno.test("redacted secrets never reach a line", () => {
  const { logger, lines } = captured({ journal: true });
  logger.redact("hunter2hunter2");
  logger.error("auth failed with password hunter2hunter2 for kitty 42");
  assert.deepEqual(lines, ["<3>auth failed with password *** for kitty 42"]);
});

Deno.test("parseLogLevel accepts the level names case-insensitively", () => {
  assert.equal(parseLogLevel("DEBUG"), "debug");
  assert.equal(parseLogLevel("silent"), "silent");
  assert.equal(parseLogLevel("verbose"), null);
});

Deno.test("by default lines go to stderr, with journal prefixes exactly when JOURNAL_STREAM is set", () => {
  const module = new URL("../../src/platform/logger.ts", import.meta.url).href;
  const script = `
    import { createLogger } from ${JSON.stringify(module)};
    createLogger().warn("careful");
  `;
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ["eval", "--quiet", script], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", ...env },
    });
  const plain = run({});
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout, "");
  assert.equal(plain.stderr, "tether: warn: careful\n");
  const journal = run({ JOURNAL_STREAM: "8:12345" });
  assert.equal(journal.stdout, "");
  assert.equal(journal.stderr, "<4>careful\n");
});
