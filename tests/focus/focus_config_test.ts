import assert from "node:assert/strict";
import { resolveFocusSettings } from "../../src/focus/focus_config.ts";
import { ConfigError } from "../../src/platform/config_error.ts";

const CONFIG = "/cfg/tether/config.yml";
const sources = (section: Record<string, unknown> | null, env: Record<string, string> = {}) => ({
  env: { HOME: "/home/me", ...env },
  section,
  configPath: CONFIG,
  cwd: "/work",
});

Deno.test("defaults when nothing is set", () => {
  assert.deepEqual(resolveFocusSettings({}, sources(null)), {
    compositor: "auto",
    appIds: ["kitty"],
    deltaPt: 3,
    socketTimeoutMs: 2000,
    maxAttempts: 3,
    maxConnections: 10,
    idleTimeoutMs: 1_800_000,
    reapIntervalMs: 300_000,
    passwordFile: undefined,
    excludeTitles: [],
  });
});

Deno.test("config.yml's focus: section is read, durations in the one syntax", () => {
  const settings = resolveFocusSettings(
    {},
    sources({
      compositor: "sway",
      app_ids: "foot",
      font_delta: 2,
      socket_timeout: "500ms",
      max_retries: 2,
      max_connections: 4,
      idle_timeout: "30m",
      reap_interval: 60,
      password_file: "~/.secret/rc.password",
    }),
  );
  assert.deepEqual(settings, {
    compositor: "sway",
    appIds: ["foot"],
    deltaPt: 2,
    socketTimeoutMs: 500,
    maxAttempts: 2,
    maxConnections: 4,
    idleTimeoutMs: 1_800_000,
    reapIntervalMs: 60_000,
    passwordFile: "/home/me/.secret/rc.password",
    excludeTitles: [],
  });
});

Deno.test("precedence: flags > environment (TETHER_FOCUS_*) > config.yml > defaults", () => {
  const section = { font_delta: 2, app_ids: ["foot"], compositor: "niri" };
  const env = { TETHER_FOCUS_FONT_DELTA: "4", TETHER_FOCUS_APP_IDS: "kitty-env" };
  const fromAll = resolveFocusSettings({ font_delta: "5" }, sources(section, env));
  assert.deepEqual([fromAll.deltaPt, fromAll.appIds, fromAll.compositor], [
    5,
    ["kitty-env"],
    "niri",
  ]);
  const fromEnv = resolveFocusSettings({}, sources(section, env));
  assert.equal(fromEnv.deltaPt, 4);
  // A bad value in a lower layer is never read when a higher one sets the key.
  assert.equal(
    resolveFocusSettings({ font_delta: "1" }, sources({ font_delta: "huge" })).deltaPt,
    1,
  );
});

Deno.test("a relative --password-file is resolved against the working directory; in the config it must be absolute or ~/", () => {
  assert.equal(
    resolveFocusSettings({ password_file: "rc.password" }, sources(null)).passwordFile,
    "/work/rc.password",
  );
  assert.throws(
    () => resolveFocusSettings({}, sources({ password_file: "rc.password" })),
    /config\.yml: focus\.password_file must be an absolute path or start with ~\//,
  );
});

Deno.test("bad values and unknown keys name where they came from", () => {
  const cases: [
    Parameters<typeof resolveFocusSettings>[0],
    Record<string, unknown> | null,
    Record<string, string>,
    RegExp,
  ][] = [
    [
      {},
      { font_detla: 2 },
      {},
      /^\/cfg\/tether\/config\.yml: unknown key focus\.font_detla \(did you mean font_delta\?\)/,
    ],
    [
      {},
      { compositor: "weston" },
      {},
      /^\/cfg\/tether\/config\.yml: focus\.compositor must be auto, niri, sway or i3, got "weston"$/,
    ],
    [{}, { socket_timeout: "3000000000" }, {}, /focus\.socket_timeout .*longest timer/],
    [
      {},
      null,
      { TETHER_FOCUS_MAX_RETRIES: "0" },
      /^TETHER_FOCUS_MAX_RETRIES must be a whole number from 1 to 10, got "0"$/,
    ],
    [{ app_ids: ["kitty", " "] }, null, {}, /^--app-id must not be empty$/],
    [{}, { app_ids: [] }, {}, /config\.yml: focus\.app_ids must name at least one app id$/],
    [{}, { app_ids: ["kitty", 3] }, {}, /focus\.app_ids must be app ids \(strings\), got 3$/],
    [{}, { app_ids: "" }, {}, /focus\.app_ids must not be empty$/],
    [{}, null, { TETHER_FOCUS_APP_IDS: "kitty,," }, /^TETHER_FOCUS_APP_IDS must not be empty$/],
    [
      {},
      { app_id: "kitty" },
      {},
      /^\/cfg\/tether\/config\.yml: unknown key focus\.app_id \(did you mean app_ids\?\)/,
    ],
    [{ socket_timeout: "1d" }, null, {}, /^--socket-timeout must be a duration like 500ms, 2s/],
    [{ idle_timeout: "100000000" }, null, {}, /^--idle-timeout .*longest timer/],
    [{ reap_interval: "0.5" }, null, {}, /^--reap-interval must be at least 1s/],
  ];
  for (const [flags, section, env, message] of cases) {
    assert.throws(
      () => resolveFocusSettings(flags, sources(section, env)),
      (error) => error instanceof ConfigError && message.test(error.message),
      String(message),
    );
  }
});

Deno.test("exclude_titles: a list in config.yml, one regex in the environment, every --exclude-title as flags", () => {
  const titles = (
    flags: Parameters<typeof resolveFocusSettings>[0],
    section: Record<string, unknown> | null,
    env: Record<string, string> = {},
  ) =>
    resolveFocusSettings(flags, sources(section, env)).excludeTitles.map((pattern) =>
      pattern.source
    );
  assert.deepEqual(titles({}, null), []);
  assert.deepEqual(titles({}, { exclude_titles: ["^vim", "htop$"] }), ["^vim", "htop$"]);
  assert.deepEqual(titles({}, { exclude_titles: "^vim" }), ["^vim"]);
  assert.deepEqual(
    titles({}, { exclude_titles: ["^vim"] }, { TETHER_FOCUS_EXCLUDE_TITLES: "ssh" }),
    ["ssh"],
  );
  assert.deepEqual(titles({ exclude_titles: ["a", "b"] }, { exclude_titles: ["^vim"] }), [
    "a",
    "b",
  ]);
  assert.throws(
    () => resolveFocusSettings({}, sources({ exclude_titles: ["(unclosed"] })),
    /config\.yml: focus\.exclude_titles "\(unclosed" is not a valid regular expression/,
  );
  assert.throws(
    () => resolveFocusSettings({ exclude_titles: ["["] }, sources(null)),
    /^ConfigError: --exclude-title "\[" is not a valid regular expression/,
  );
});

Deno.test("app_ids: every --app-id as flags, a list or one string in config.yml, a comma-separated list in the environment", () => {
  const ids = (
    flags: Parameters<typeof resolveFocusSettings>[0],
    section: Record<string, unknown> | null,
    env: Record<string, string> = {},
  ) => resolveFocusSettings(flags, sources(section, env)).appIds;
  assert.deepEqual(ids({}, null), ["kitty"]);
  assert.deepEqual(ids({}, { app_ids: ["kitty", "kitty-dropdown"] }), ["kitty", "kitty-dropdown"]);
  assert.deepEqual(ids({}, { app_ids: "kitty-dropdown" }), ["kitty-dropdown"]);
  assert.deepEqual(
    ids({}, { app_ids: ["kitty"] }, { TETHER_FOCUS_APP_IDS: "kitty,kitty-dropdown" }),
    ["kitty", "kitty-dropdown"],
  );
  assert.deepEqual(
    ids(
      { app_ids: ["a", "b"] },
      { app_ids: ["kitty"] },
      { TETHER_FOCUS_APP_IDS: "kitty,kitty-dropdown" },
    ),
    ["a", "b"],
  );
});
