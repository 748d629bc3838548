/**
 * The man page (scripts/man.ts) is the program's own command tree: every visible command and
 * option is in it, groff renders it without a warning, and its ENVIRONMENT section lists
 * exactly the variables src/ reads.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Help } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { programForInspection } from "../../src/cli/program.ts";
import { COMPOSITOR_KINDS, COMPOSITORS } from "../../src/compositor/compositors.ts";
import { ENVIRONMENT, renderManPage } from "../../scripts/man.ts";
import { REPO_ROOT } from "../support/cli.ts";
import { run } from "../support/test_user.ts";

function program(): CommandUnknownOpts {
  return programForInspection();
}

/** Unescapes the roff the generator writes (`\-` and `\e`), for plain-text matching. */
const plain = (page: string) => page.replaceAll("\\-", "-").replaceAll("\\e", "\\");

Deno.test("man page: every visible command and option of the program, and no hidden one", () => {
  const root = program();
  const page = plain(renderManPage(root));
  const help = new Help();
  let commands = 0;
  const walk = (command: CommandUnknownOpts, path: string) => {
    for (const child of help.visibleCommands(command)) {
      if (child.name() === "help") continue;
      const name = `${path} ${child.name()}`;
      assert.ok(page.includes(`.SS "${name} `), name);
      commands++;
      for (const option of help.visibleOptions(child)) {
        if (option.long === "--help") continue;
        assert.ok(page.includes(`.B ${help.optionTerm(option)}\n`), `${name} ${option.long}`);
      }
      walk(child, name);
    }
  };
  walk(root, "tether");
  assert.ok(commands >= 10, `only ${commands} commands`);
  for (const option of ["--json", "--log-level <level>"]) assert.ok(page.includes(`.B ${option}`));
  // `complete` is tab's hidden callback for the completion scripts.
  assert.equal(page.includes("tether complete "), false);
});

Deno.test("man page: groff renders it without a single warning", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "tether-man-" });
  try {
    const file = join(dir, "tether.1");
    Deno.writeTextFileSync(file, renderManPage(program()));
    const result = await run(["groff", "-man", "-Tutf8", "-ww", "-z", file]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const text = await run(["env", "MANWIDTH=80", "man", "-l", file]);
    assert.match(text.stdout, /tether systemd install \[options\]/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("man page: ENVIRONMENT lists exactly the variables src/ reads", () => {
  const read = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) {
        for (const match of readFileSync(path, "utf8").matchAll(/\benv\??\.([A-Z][A-Z0-9_]+)/g)) {
          read.add(match[1]!);
        }
      }
    }
  };
  walk(join(REPO_ROOT, "src"));
  // Each compositor's socket variable is read through its row of the compositor table.
  for (const kind of COMPOSITOR_KINDS) read.add(COMPOSITORS[kind].socketVariable);
  assert.deepEqual(ENVIRONMENT.map(([name]) => name).sort(), [...read].sort());
});
