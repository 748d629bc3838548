import assert from "node:assert/strict";
import { type CheckResult, overallStatus } from "../../src/doctor/check_result.ts";
import { decideChecks } from "../../src/doctor/decide.ts";
import type { DoctorFacts } from "../../src/doctor/facts.ts";
import type { HealthRow } from "../../src/sockets/health.ts";

const UID = 1000;
const RT = "/run/user/1000";

function row(overrides: Partial<HealthRow>): HealthRow {
  return {
    kind: "sway",
    socket_path: `${RT}/sway-ipc.1000.812.sock`,
    owner_pid: 812,
    status: "healthy",
    latency_ms: 0.4,
    ts: "2026-01-01T00:00:00.000+00:00",
    error: null,
    peer: "sway 1.7",
    current: true,
    ...overrides,
  };
}

/** A machine where everything is set up right. */
function healthy(): DoctorFacts {
  return {
    uid: UID,
    runtimeDir: { value: RT, facts: { type: "directory", uid: UID, mode: 0o700, size: 0 } },
    config: { path: "/home/me/.config/tether/config.yml", exists: true, problem: null },
    kittyConfig: {
      confPath: "/home/me/.config/kitty/kitty.conf",
      confExists: true,
      hasInclude: true,
      includePath: "/home/me/.config/kitty/tether.conf",
      includeExists: true,
    },
    passwordFile: {
      path: "/home/me/.config/kitty/rc.password",
      facts: { type: "file", uid: UID, mode: 0o600, size: 49 },
    },
    sockets: [
      row({}),
      row({
        kind: "kitty",
        socket_path: `${RT}/kitty/kitty-4121.sock`,
        owner_pid: 4121,
        peer: "kitty (password mode)",
        current: false,
        kitty_remote_control: "password",
      }),
    ],
    compositorEnv: { SWAYSOCK: `${RT}/sway-ipc.1000.812.sock` },
    kitties: [{
      pid: 4121,
      version: { version: [0, 26, 5], source: "/usr/lib/kitty/kitty/constants.py" },
    }],
    systemd: {
      unitDir: "/home/me/.config/systemd/user",
      units: ["tether-cleanup.service", "tether-cleanup.timer", "tether-focus.service"].map(
        (name) => ({
          name,
          installed: true,
          ours: true,
          enabled: name !== "tether-cleanup.service",
          active: name === "tether-cleanup.service" ? "inactive" : "active",
        }),
      ),
      managerProblem: null,
    },
    conbus: {
      problem: null,
      endpoint: "192.168.1.100:10001",
      serve: null,
      connect: { latencyMs: 1.2 },
    },
  };
}

function check(results: CheckResult[], name: string): CheckResult {
  const found = results.find((result) => result.check === name);
  assert.ok(found, `no ${name} check in ${results.map((result) => result.check)}`);
  return found;
}

Deno.test("a healthy machine: every check ok, in the documented order, exit status ok", () => {
  const results = decideChecks(healthy());
  assert.deepEqual(results.map((result) => result.check), [
    "runtime_dir",
    "config",
    "compositor",
    "kitty_config",
    "kitty",
    "systemd tether-cleanup.service",
    "systemd tether-cleanup.timer",
    "systemd tether-focus.service",
    "stale_sockets",
    "conbus",
  ]);
  for (const result of results) {
    assert.equal(result.status, "ok", `${result.check}: ${result.message}`);
    assert.equal(result.fix, null);
  }
  assert.equal(overallStatus(results), "ok");
  assert.match(
    check(results, "kitty").message,
    /kitty 4121: remote control reachable \(password mode, 0\.4 ms\), kitty 0\.26\.5, not pooled/,
  );
});

/** Each broken setup, the check that must catch it, its verdict and a fix that names the cure. */
const BROKEN: [string, (facts: DoctorFacts) => void, string, "warn" | "fail", RegExp, RegExp][] = [
  [
    "XDG_RUNTIME_DIR unset",
    (f) => (f.runtimeDir = { value: undefined, facts: null }),
    "runtime_dir",
    "fail",
    /not set/,
    /export XDG_RUNTIME_DIR=\/run\/user\/1000/,
  ],
  [
    "runtime dir 0755",
    (f) => (f.runtimeDir.facts!.mode = 0o755),
    "runtime_dir",
    "fail",
    /mode 0755/,
    /^chmod 0700 \/run\/user\/1000$/,
  ],
  [
    "shared runtime dir (/tmp)",
    (
      f,
    ) => (f.runtimeDir = {
      value: "/tmp",
      facts: { type: "directory", uid: 0, mode: 0o1777, size: 0 },
    }),
    "runtime_dir",
    "fail",
    /shared/,
    /must be your private 0700 directory \(usually \/run\/user\/1000\)/,
  ],
  [
    "config.yml invalid",
    (f) => (f.config.problem = 'config.yml: unknown section "fcous" (did you mean focus?)'),
    "config",
    "fail",
    /fcous/,
    /fix .*config\.yml/,
  ],
  [
    "no compositor",
    (f) => {
      f.sockets = f.sockets!.filter((r) => r.kind !== "sway");
      f.compositorEnv = {};
    },
    "compositor",
    "fail",
    /no compositor found/,
    /start niri, sway or i3/,
  ],
  [
    "hung compositor",
    (f) => {
      f.sockets![0] = row({
        status: "unresponsive",
        latency_ms: null,
        error: { category: "timeout", message: "timeout after 1000 ms" },
        peer: null,
      });
    },
    "compositor",
    "fail",
    /does not answer: timeout/,
    /kill -CONT/,
  ],
  [
    "$SWAYSOCK names a dead sway, another answers",
    (f) => {
      f.sockets![0] = row({
        status: "stale",
        latency_ms: null,
        error: { category: "refused", message: "refused" },
      });
      f.sockets!.push(
        row({ socket_path: `${RT}/sway-ipc.1000.900.sock`, owner_pid: 900, current: false }),
      );
    },
    "compositor",
    "warn",
    /\$SWAYSOCK names a stale socket/,
    /open a new terminal/,
  ],
  [
    "no password file",
    (f) => (f.passwordFile.facts = null),
    "kitty_config",
    "fail",
    /no password file/,
    /tether kitty setup/,
  ],
  [
    "password file readable by others",
    (f) => (f.passwordFile.facts!.mode = 0o644),
    "kitty_config",
    "fail",
    /mode 0644/,
    /^chmod 600 \/home\/me\/\.config\/kitty\/rc\.password$/,
  ],
  [
    "password file empty",
    (f) => (f.passwordFile.facts!.size = 0),
    "kitty_config",
    "fail",
    /is empty/,
    /--force/,
  ],
  [
    "kitty.conf without the include",
    (f) => (f.kittyConfig.hasInclude = false),
    "kitty_config",
    "fail",
    /lacks the line "include tether\.conf"/,
    /add "include tether\.conf"/,
  ],
  [
    "no include file",
    (f) => (f.kittyConfig.includeExists = false),
    "kitty_config",
    "fail",
    /no .*tether\.conf/,
    /tether kitty setup/,
  ],
  [
    "kitty without remote control",
    (f) => (f.sockets = f.sockets!.filter((r) => r.kind !== "kitty")),
    "kitty",
    "fail",
    /kitty 4121: no remote-control socket/,
    /include tether\.conf/,
  ],
  [
    "kitty hung",
    (
      f,
    ) => (f.sockets![1] = {
      ...f.sockets![1]!,
      status: "unresponsive",
      error: { category: "timeout", message: "timeout" },
      latency_ms: null,
    }),
    "kitty",
    "fail",
    /unresponsive/,
    /kill -CONT 4121/,
  ],
  [
    "kitty without a password",
    // Only the structured field decides: the peer text is left saying "password mode".
    (f) => (f.sockets![1]!.kitty_remote_control = "open"),
    "kitty",
    "warn",
    /no password/,
    /without a password/,
  ],
  [
    "units not installed",
    (f) => f.systemd!.units.forEach((u) => (u.installed = false)),
    "systemd",
    "warn",
    /no tether units/,
    /tether systemd install/,
  ],
  [
    "focus service not enabled",
    (f) => (f.systemd!.units[2]!.enabled = false),
    "systemd tether-focus.service",
    "warn",
    /not enabled/,
    /systemctl --user enable --now tether-focus\.service/,
  ],
  [
    "focus service failed",
    (f) => (f.systemd!.units[2]!.active = "failed"),
    "systemd tether-focus.service",
    "fail",
    /enabled but failed/,
    /journalctl --user -u tether-focus\.service/,
  ],
  [
    "no user manager",
    (f) => {
      f.systemd!.units.forEach((u) => (u.active = null));
      f.systemd!.managerProblem = "Failed to connect to bus: No medium found";
    },
    "systemd tether-cleanup.timer",
    "warn",
    /state unknown: Failed to connect to bus/,
    /login session/,
  ],
  [
    "stale sockets",
    (f) =>
      f.sockets!.push(
        row({ socket_path: `${RT}/sway-ipc.1000.77.sock`, status: "stale", current: false }),
      ),
    "stale_sockets",
    "warn",
    /1 stale socket: .*sway-ipc\.1000\.77\.sock/,
    /^tether cleanup$/,
  ],
  [
    "bridge unreachable",
    (f) => (f.conbus.connect = { error: "ECONNREFUSED" }),
    "conbus",
    "fail",
    /192\.168\.1\.100:10001 is not reachable: ECONNREFUSED/,
    /one client at a time/,
  ],
  [
    "bad Conbus config",
    (
      f,
    ) => (f.conbus = {
      problem: "--port must be a port number",
      endpoint: null,
      serve: null,
      connect: null,
    }),
    "conbus",
    "fail",
    /port number/,
    /Conbus settings/,
  ],
  [
    "serve reconnecting",
    (f) => (f.conbus.serve = { pid: 77, status: "reconnecting", lastError: "refused" }),
    "conbus",
    "fail",
    /pid 77\): bridge connection reconnecting \(refused\)/,
    /reconnecting by itself/,
  ],
];

for (const [what, breakIt, name, status, message, fix] of BROKEN) {
  Deno.test(`doctor catches: ${what}`, () => {
    const facts = healthy();
    breakIt(facts);
    const results = decideChecks(facts);
    const found = check(results, name);
    assert.equal(found.status, status, `${found.message}`);
    assert.match(found.message, message);
    assert.match(found.fix ?? "", fix);
    assert.equal(overallStatus(results), status);
  });
}

Deno.test("checks that do not apply are skipped, not failed", () => {
  const facts = healthy();
  facts.kitties = [];
  facts.systemd = null;
  facts.conbus = { problem: null, endpoint: null, serve: null, connect: null };
  const results = decideChecks(facts);
  assert.equal(check(results, "kitty").status, "skip");
  assert.equal(check(results, "systemd").status, "skip");
  assert.equal(check(results, "conbus").status, "skip");
  assert.equal(overallStatus(results), "ok");
});

Deno.test("a kitty whose version allows pooling says pooled; an unknown version says when it is decided", () => {
  const facts = healthy();
  facts.kitties = [{
    pid: 4121,
    version: { version: [0, 48, 2], source: "/usr/lib/kitty/kitty/constants.py" },
  }];
  assert.match(check(decideChecks(facts), "kitty").message, /kitty 0\.48\.2, pooled$/);
  facts.kitties = [{ pid: 4121, version: { unknownBecause: "no constants.py" } }];
  assert.match(
    check(decideChecks(facts), "kitty").message,
    /version unknown \(no constants\.py\), pooling decided at first contact$/,
  );
});
