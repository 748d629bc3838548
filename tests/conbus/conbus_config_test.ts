import assert from "node:assert/strict";
import { loadConbusSettings } from "../../src/conbus/conbus_config.ts";
import { MAX_CONFIG_BYTES } from "../../src/platform/config.ts";
import { ConfigError } from "../../src/platform/config_error.ts";

const CONFIG = "/cfg/tether/config.yml";
const XP = "/work/cli.yml";

function files(map: Record<string, string>) {
  return (path: string) => Promise.resolve(map[path] ?? null);
}

const base = { env: { XDG_CONFIG_HOME: "/cfg" }, cwd: "/work" };

Deno.test("defaults: no host, port 10001, 2 s timeout, 500 ms quiet, 50 ms gap", async () => {
  const settings = await loadConbusSettings({}, { ...base, read: files({}) });
  assert.deepEqual(
    [settings.host, settings.port, settings.timeoutMs, settings.quietMs, settings.minGapMs],
    [null, 10001, 2000, 500, 50],
  );
  assert.equal(settings.endpointSource, "default");
});

Deno.test("xp's cli.yml conbus section is read (ip, port, timeout in seconds)", async () => {
  const settings = await loadConbusSettings({}, {
    ...base,
    read: files({
      [XP]: "conbus:\n  ip: 10.0.0.9\n  ip_local: 127.0.0.1\n  port: 10002\n  timeout: 10\n",
    }),
  });
  assert.deepEqual([settings.host, settings.port, settings.timeoutMs], ["10.0.0.9", 10002, 10000]);
  assert.equal(settings.endpointSource, "xp");
});

Deno.test("xp's timeout only extends the overall deadline: current xp's 0.1 s inactivity value keeps 2 s", async () => {
  const timeoutFor = async (value: string) =>
    (await loadConbusSettings({}, {
      ...base,
      read: files({ [XP]: `conbus:\n  ip: 10.0.0.9\n  timeout: ${value}\n` }),
    })).timeoutMs;
  assert.equal(await timeoutFor("0.1"), 2000);
  assert.equal(await timeoutFor("1.5"), 2000);
  assert.equal(await timeoutFor("2.5"), 2500);
  assert.equal(await timeoutFor("10"), 10000);
  const settings = await loadConbusSettings({}, {
    ...base,
    read: files({ [XP]: "conbus:\n  ip: 10.0.0.9\n  timeout: 0.1\n" }),
  });
  assert.equal(settings.quietMs, 500, "not taken as the quiet window either");
});

Deno.test("precedence: flags > env > config.yml > cli.yml > defaults", async () => {
  const read = files({
    [CONFIG]: "conbus:\n  host: config.example\n  port: 3000\n  quiet_ms: 700\n",
    [XP]: "conbus:\n  ip: xp.example\n  port: 4000\n  timeout: 5\n",
  });
  const fromFiles = await loadConbusSettings({}, { ...base, read });
  assert.deepEqual(
    [fromFiles.host, fromFiles.port, fromFiles.quietMs, fromFiles.timeoutMs],
    ["config.example", 3000, 700, 5000],
  );
  const env = { ...base.env, TETHER_CONBUS_HOST: "env.example", TETHER_CONBUS_PORT: "5000" };
  const fromEnv = await loadConbusSettings({}, { ...base, env, read });
  assert.deepEqual([fromEnv.host, fromEnv.port, fromEnv.endpointSource], [
    "env.example",
    5000,
    "env",
  ]);
  const fromFlags = await loadConbusSettings(
    { host: "flag.example", port: "6000", timeout: "3" },
    { ...base, env, read },
  );
  assert.deepEqual(
    [fromFlags.host, fromFlags.port, fromFlags.timeoutMs, fromFlags.endpointSource],
    ["flag.example", 6000, 3000, "flag"],
  );
});

Deno.test("a malformed file is a ConfigError naming the file and the problem", async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ [CONFIG]: "conbus: [unclosed" }, /^\/cfg\/tether\/config\.yml: not valid YAML/],
    [
      { [CONFIG]: "conbus:\n  port: seventy\n" },
      /config\.yml: conbus\.port must be a port number 1-65535, got "seventy"/,
    ],
    [
      { [CONFIG]: "conbus:\n  hots: x\n" },
      /config\.yml: unknown key conbus\.hots \(did you mean host\?\)/,
    ],
    [
      { [CONFIG]: "conbsu:\n  host: x\n" },
      /config\.yml: unknown section "conbsu" \(did you mean conbus\?\)/,
    ],
    [
      { [CONFIG]: "conbus:\n  host: x\n  host: y\n" },
      /^\/cfg\/tether\/config\.yml: not valid YAML: .*line 3, column 3$/,
    ],
    [{ [CONFIG]: "- a\n- b\n" }, /config\.yml: expected a mapping/],
    [{ [XP]: "conbus: 12\n" }, /cli\.yml: "conbus" must be a mapping/],
    [
      { [XP]: "conbus:\n  timeout: -1\n" },
      /cli\.yml: conbus\.timeout must be a duration like 500ms, 2s or a plain number of seconds, got -1/,
    ],
  ];
  for (const [map, message] of cases) {
    await assert.rejects(
      loadConbusSettings({}, { ...base, read: files(map) }),
      (error) => error instanceof ConfigError && message.test(error.message),
      String(message),
    );
  }
});

Deno.test("flag and environment values are validated", async () => {
  const read = files({});
  const bad: [Parameters<typeof loadConbusSettings>[0], Record<string, string>, RegExp][] = [
    [{ port: "0" }, {}, /--port must be a port number 1-65535, got "0"/],
    [{ port: "70000" }, {}, /--port must be a port number/],
    [{ timeout: "0" }, {}, /--timeout must be greater than 0/],
    [
      { timeout: "soon" },
      {},
      /--timeout must be a duration like 500ms, 2s or a plain number of seconds/,
    ],
    [{ quietMs: "-5" }, {}, /--quiet-ms must be a duration .* milliseconds, got "-5"/],
    [{ minGapMs: "x" }, {}, /--min-gap-ms must be a duration/],
    [{ quietMs: "3000000000" }, {}, /--quiet-ms "3000000000" is longer than the longest timer/],
    [{}, { TETHER_CONBUS_PORT: "http" }, /TETHER_CONBUS_PORT must be a port number/],
    [{ host: "a b" }, {}, /--host must be a host name or IP address/],
  ];
  for (const [flags, env, message] of bad) {
    await assert.rejects(
      loadConbusSettings(flags, { ...base, env: { ...base.env, ...env }, read }),
      (error) => error instanceof ConfigError && message.test(error.message),
      String(message),
    );
  }
  const ok = await loadConbusSettings({ timeout: "500ms", minGapMs: "0" }, { ...base, read });
  assert.deepEqual([ok.timeoutMs, ok.minGapMs], [500, 0]);
  const units = await loadConbusSettings(
    { timeout: "1.5", quietMs: "0.5s", minGapMs: "20ms" },
    { ...base, read },
  );
  assert.deepEqual([units.timeoutMs, units.quietMs, units.minGapMs], [1500, 500, 20]);
});

Deno.test("config files are read safely: FIFO, device, oversized, foreign or shared-writable ones are refused", async () => {
  const root = Deno.makeTempDirSync({ prefix: "tether-config-" });
  const env = { XDG_CONFIG_HOME: `${root}/cfg` };
  const configPath = `${root}/cfg/tether/config.yml`;
  const xpPath = `${root}/cli.yml`;
  Deno.mkdirSync(`${root}/cfg/tether`, { recursive: true });
  const load = () => loadConbusSettings({}, { env, cwd: root });
  const refused = async (pattern: RegExp) => {
    const started = performance.now();
    await assert.rejects(
      load(),
      (error) => error instanceof ConfigError && pattern.test(error.message),
    );
    assert.ok(performance.now() - started < 1000, "refused at once, nothing read or parsed");
  };
  try {
    new Deno.Command("mkfifo", { args: [xpPath] }).outputSync();
    await refused(/cli\.yml is a FIFO, not a regular file; refused/); // used to hang forever
    Deno.removeSync(xpPath);
    Deno.symlinkSync("/dev/zero", configPath);
    await refused(/config\.yml is a device, not a regular file/); // used to grow to 9.4 GB
    Deno.removeSync(configPath);
    Deno.writeTextFileSync(configPath, "# x\n".repeat(MAX_CONFIG_BYTES / 4 + 1));
    await refused(/config\.yml is 262148 bytes, more than the 262144 allowed/);
    Deno.writeTextFileSync(configPath, "conbus:\n  host: 10.0.0.1\n");
    Deno.chmodSync(configPath, 0o644);
    assert.equal((await load()).host, "10.0.0.1");
    Deno.writeTextFileSync(xpPath, "conbus:\n  ip: 10.6.6.6\n");
    Deno.chmodSync(xpPath, 0o666);
    await refused(/cli\.yml is writable by (its group|others)/);
    Deno.chmodSync(xpPath, 0o644);
    Deno.chownSync(xpPath, 1500, 1500); // planted by another user (the test user)
    await refused(/cli\.yml is owned by uid 1500, not by you/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
