import assert from "node:assert/strict";
import { ConfigError } from "../../src/platform/config_error.ts";
import {
  configHome,
  runtimeDir,
  tetherConfigDir,
  tetherRuntimeDir,
} from "../../src/platform/paths.ts";

Deno.test("runtimeDir returns an absolute XDG_RUNTIME_DIR", () => {
  assert.equal(runtimeDir({ XDG_RUNTIME_DIR: "/run/user/1000" }), "/run/user/1000");
  assert.equal(tetherRuntimeDir({ XDG_RUNTIME_DIR: "/run/user/1000" }), "/run/user/1000/tether");
});

Deno.test("a missing XDG_RUNTIME_DIR is a ConfigError naming the variable", () => {
  for (const env of [{}, { XDG_RUNTIME_DIR: "" }]) {
    assert.throws(() => runtimeDir(env), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /XDG_RUNTIME_DIR is not set/);
      return true;
    });
  }
});

Deno.test("a relative XDG_RUNTIME_DIR is a ConfigError quoting the value", () => {
  assert.throws(
    () => runtimeDir({ XDG_RUNTIME_DIR: "run/user" }),
    /XDG_RUNTIME_DIR must be an absolute path, got "run\/user"/,
  );
});

Deno.test("configHome prefers an absolute XDG_CONFIG_HOME, else ~/.config", () => {
  assert.equal(configHome({ XDG_CONFIG_HOME: "/cfg", HOME: "/home/a" }), "/cfg");
  assert.equal(configHome({ XDG_CONFIG_HOME: "rel", HOME: "/home/a" }), "/home/a/.config");
  assert.equal(configHome({ HOME: "/home/a" }), "/home/a/.config");
  assert.equal(tetherConfigDir({ HOME: "/home/a" }), "/home/a/.config/tether");
});
