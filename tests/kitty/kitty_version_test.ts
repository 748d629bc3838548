import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  compareKittyVersions,
  formatKittyVersion,
  kittyPackageFromMaps,
  parseKittyConstantsVersion,
} from "../../src/kitty/kitty_version.ts";
import { constantsPy } from "../fakes/proc.ts";

Deno.test("parseKittyConstantsVersion reads kitty 0.20+ and the older tuple form", () => {
  assert.deepEqual(parseKittyConstantsVersion(constantsPy([0, 42, 2])), [0, 42, 2]);
  assert.deepEqual(
    parseKittyConstantsVersion("appname = 'kitty'\nversion = (0, 14, 0)\nstr_version = ''\n"),
    [0, 14, 0],
  );
  assert.equal(parseKittyConstantsVersion("str_version: str = '0.26.5'\n"), null);
  assert.equal(parseKittyConstantsVersion("# version: Version = Version(0, 26, 5)\n"), null);
  assert.equal(parseKittyConstantsVersion(""), null);
});

Deno.test("parseKittyConstantsVersion reads the installed Debian kitty's constants.py", () => {
  let text: string;
  try {
    text = readFileSync("/usr/lib/kitty/kitty/constants.py", "utf8");
  } catch {
    return; // no Debian kitty on this machine: the fixtures above cover the format
  }
  const version = parseKittyConstantsVersion(text);
  assert.ok(version !== null);
  assert.match(formatKittyVersion(version), /^0\.\d+\.\d+$/);
});

Deno.test("compareKittyVersions orders by major, minor, patch", () => {
  assert.ok(compareKittyVersions([0, 42, 1], [0, 42, 2]) < 0);
  assert.equal(compareKittyVersions([0, 42, 2], [0, 42, 2]), 0);
  assert.ok(compareKittyVersions([0, 43, 0], [0, 42, 9]) > 0);
  assert.ok(compareKittyVersions([1, 0, 0], [0, 99, 99]) > 0);
  assert.ok(compareKittyVersions([0, 26, 5], [0, 42, 2]) < 0);
});

Deno.test("kittyPackageFromMaps finds the mapped core, a replaced core, or none", () => {
  const line = (path: string) => `7f3c2a000000-7f3c2a100000 r-xp 00010000 08:01 4242   ${path}`;
  assert.deepEqual(
    kittyPackageFromMaps(
      [line("/usr/bin/kitty"), line("/usr/lib/kitty/kitty/fast_data_types.so"), ""].join("\n"),
    ),
    { kind: "found", dir: "/usr/lib/kitty/kitty" },
  );
  assert.deepEqual(
    kittyPackageFromMaps(line("/opt/my kitty/lib64/kitty/kitty/fast_data_types.so")),
    { kind: "found", dir: "/opt/my kitty/lib64/kitty/kitty" },
  );
  assert.deepEqual(
    kittyPackageFromMaps(line("/usr/lib/kitty/kitty/fast_data_types.so (deleted)")),
    { kind: "replaced" },
  );
  assert.deepEqual(kittyPackageFromMaps(line("/usr/lib/python3/fast_data_types.so")), {
    kind: "absent",
  });
  assert.deepEqual(kittyPackageFromMaps(line("/usr/bin/deno")), { kind: "absent" });
  assert.deepEqual(kittyPackageFromMaps(""), { kind: "absent" });
});
