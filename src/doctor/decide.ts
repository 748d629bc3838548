import { basename } from "node:path";
import {
  COMPOSITOR_KINDS,
  compositorNames,
  COMPOSITORS,
  isCompositorKind,
} from "../compositor/compositors.ts";
import { formatKittyVersion } from "../kitty/kitty_version.ts";
import { describePooling, poolingForVersion } from "../kitty/pooling.ts";
import { proseList } from "../platform/prose_list.ts";
import type { HealthRow } from "../sockets/health.ts";
import { type CheckResult, result } from "./check_result.ts";
import type { DoctorFacts, PathFacts } from "./facts.ts";

/**
 * Every verdict of `tether doctor`, in order: runtime dir, config.yml, compositor, kitty.conf
 * and the password file, each running kitty, the systemd units, stale sockets, the Conbus
 * bridge. Pure: facts in, results out, so every broken setup can be tested without one.
 *
 * @example
 * ```ts
 * for (const line of decideChecks(await gatherDoctorFacts(options))) console.log(line.status, line.message);
 * ```
 */
export function decideChecks(facts: DoctorFacts): CheckResult[] {
  return [
    runtimeDirCheck(facts),
    configCheck(facts),
    compositorCheck(facts),
    kittyConfigCheck(facts),
    ...kittyChecks(facts),
    ...systemdChecks(facts),
    staleSocketsCheck(facts),
    conbusCheck(facts),
  ];
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, "0");

/** The runtime dir must be the user's own private directory. */
export function runtimeDirCheck({ runtimeDir, uid }: DoctorFacts): CheckResult {
  const { value, facts } = runtimeDir;
  const name = "runtime_dir";
  const privateDir =
    `XDG_RUNTIME_DIR must be your private 0700 directory (usually /run/user/${uid})`;
  if (value === undefined || value === "") {
    return result(
      name,
      "fail",
      "XDG_RUNTIME_DIR is not set",
      `log in through your session manager, or export XDG_RUNTIME_DIR=/run/user/${uid}`,
    );
  }
  if (!value.startsWith("/")) {
    return result(name, "fail", `XDG_RUNTIME_DIR is not absolute: "${value}"`, privateDir);
  }
  if (facts === null) {
    return result(name, "fail", `XDG_RUNTIME_DIR ${value} does not exist`, privateDir);
  }
  if (facts.type !== "directory") {
    return result(
      name,
      "fail",
      `XDG_RUNTIME_DIR ${value} is a ${facts.type}, not a directory`,
      privateDir,
    );
  }
  const shared = facts.uid !== uid || (facts.mode & 0o1000) !== 0 || (facts.mode & 0o002) !== 0;
  if (shared) {
    return result(
      name,
      "fail",
      `XDG_RUNTIME_DIR ${value} is shared (owner uid ${facts.uid}, mode ${octal(facts.mode)})`,
      privateDir,
    );
  }
  if ((facts.mode & 0o077) !== 0) {
    return result(
      name,
      "fail",
      `XDG_RUNTIME_DIR ${value} has mode ${octal(facts.mode)}, others can reach your sockets`,
      `chmod 0700 ${value}`,
    );
  }
  return result(name, "ok", `${value} (yours, ${octal(facts.mode)})`);
}

/** config.yml parses and every section and value in it is valid (or there is none). */
export function configCheck({ config }: DoctorFacts): CheckResult {
  if (!config.exists) return result("config", "ok", `no ${config.path} (defaults apply)`);
  if (config.problem !== null) {
    return result("config", "fail", config.problem, `fix ${config.path} (README "Configuration")`);
  }
  return result("config", "ok", `${config.path} is valid`);
}

/** A compositor socket is found and answers; the session's variable names a live one. */
export function compositorCheck({ sockets, compositorEnv }: DoctorFacts): CheckResult {
  const name = "compositor";
  if (sockets === null) return result(name, "skip", "runtime dir unusable: not looked for");
  const rows = sockets.filter(isCompositorIpc);
  const healthy = rows.filter((row) => row.status === "healthy");
  const named = rows.filter((row) => row.current);
  const deadNamed = named.filter((row) => row.status !== "healthy");
  const variables = Object.entries(compositorEnv).filter(([, path]) => path);
  if (healthy.length === 0) {
    const hung = rows.find((row) => row.status === "unresponsive");
    if (hung !== undefined) {
      return result(
        name,
        "fail",
        `${hung.kind} at ${hung.socket_path} does not answer: ${hung.error?.message ?? "no reply"}`,
        `the compositor (pid ${
          hung.owner_pid ?? "?"
        }) is hung or stopped: kill -CONT it, or restart it`,
      );
    }
    return result(
      name,
      "fail",
      variables.length === 0
        ? `no compositor found: ${
          proseList(COMPOSITOR_KINDS.map((kind) => `$${COMPOSITORS[kind].socketVariable}`), "and")
        } are unset and no live socket is in the runtime dir`
        : `no compositor answers: ${namedPaths(variables)}`,
      `start ${
        compositorNames("or")
      } (tether focus follows them), or run tether inside your graphical session`,
    );
  }
  const best = (named.find((row) => row.status === "healthy") ?? healthy[0])!;
  const found = `${best.peer ?? best.kind} answers at ${best.socket_path} (${
    formatMs(best.latency_ms)
  })`;
  if (deadNamed.length > 0) {
    const dead = deadNamed[0]!;
    const variable = variables.find(([, path]) => path === dead.socket_path)?.[0] ?? "the session";
    return result(
      name,
      "warn",
      `${found}; $${variable} names a ${dead.status} socket ${dead.socket_path}`,
      "the compositor restarted since this shell started: tether focus finds the live one by itself; open a new terminal to fix the variable",
    );
  }
  return result(name, "ok", found);
}

/** `/path ($SWAYSOCK, $I3SOCK)`: each path once, with every variable that names it. */
function namedPaths(variables: [string, string | undefined][]): string {
  const byPath = new Map<string, string[]>();
  for (const [key, path] of variables) byPath.set(path!, [...byPath.get(path!) ?? [], `$${key}`]);
  return [...byPath].map(([path, keys]) => `${path} (${keys.join(", ")})`).join(", ");
}

/**
 * A compositor's IPC socket: not another kind's, and not a compositor's other socket (i3's log
 * stream accepts connections but speaks no IPC). A name the row does not know (a variable's
 * path) counts as IPC.
 */
function isCompositorIpc(row: HealthRow): boolean {
  if (!isCompositorKind(row.kind)) return false;
  const compositor = COMPOSITORS[row.kind];
  const parsed = compositor.parseSocketName(basename(row.socket_path));
  return parsed === null || parsed.protocol === compositor.protocol;
}

/** kitty.conf includes tether's file and the password file exists, is yours and 0600. */
export function kittyConfigCheck({ kittyConfig, passwordFile, uid }: DoctorFacts): CheckResult {
  const name = "kitty_config";
  const setup =
    "run `tether kitty setup` and add the line it prints to kitty.conf, then restart kitty";
  if (passwordFile.facts === null) {
    return result(name, "fail", `no password file at ${passwordFile.path}`, setup);
  }
  const problem = passwordProblem(passwordFile.facts, uid);
  if (problem !== null) {
    return result(
      name,
      "fail",
      `${passwordFile.path} ${problem.what}`,
      problem.fix(passwordFile.path),
    );
  }
  if (!kittyConfig.includeExists) {
    return result(name, "fail", `no ${kittyConfig.includePath}`, setup);
  }
  if (!kittyConfig.hasInclude) {
    return result(
      name,
      "fail",
      kittyConfig.confExists
        ? `${kittyConfig.confPath} lacks the line "include tether.conf"`
        : `no ${kittyConfig.confPath}, so kitty never reads ${kittyConfig.includePath}`,
      `add "include tether.conf" at the end of ${kittyConfig.confPath}, then restart kitty`,
    );
  }
  return result(
    name,
    "ok",
    `${kittyConfig.confPath} includes tether.conf; ${passwordFile.path} is yours and 0600`,
  );
}

function passwordProblem(
  facts: PathFacts,
  uid: number,
): { what: string; fix: (path: string) => string } | null {
  if (facts.type !== "file") {
    return {
      what: `is a ${facts.type}, not a file`,
      fix: () => "run `tether kitty setup --force`",
    };
  }
  if (facts.uid !== uid) {
    return {
      what: `is owned by uid ${facts.uid}, not by you`,
      fix: (path) => `chown ${uid} ${path}`,
    };
  }
  if ((facts.mode & 0o077) !== 0) {
    return {
      what: `has mode ${octal(facts.mode)}: others can read the password`,
      fix: (path) => `chmod 600 ${path}`,
    };
  }
  if (facts.size === 0) {
    return { what: "is empty", fix: () => "run `tether kitty setup --force`" };
  }
  return null;
}

/** Every running kitty: remote control reachable, its mode, version and pooling. */
export function kittyChecks({ kitties, sockets }: DoctorFacts): CheckResult[] {
  const kittyRows = new Map(
    (sockets ?? []).filter((row) => row.kind === "kitty").map((row) => [row.owner_pid, row]),
  );
  if (kitties.length === 0) return [result("kitty", "skip", "no kitty is running")];
  return kitties.map(({ pid, version }) => {
    const row = kittyRows.get(pid);
    const known = "version" in version;
    const versionText = known
      ? `kitty ${formatKittyVersion(version.version)}`
      : `version unknown (${version.unknownBecause})`;
    const pooling = known
      ? describePooling(poolingForVersion(version.version, version.source)).split(":")[0]
      : "pooling decided at first contact";
    if (row === undefined) {
      return result(
        "kitty",
        "fail",
        `kitty ${pid}: no remote-control socket (${versionText})`,
        'add "include tether.conf" to kitty.conf (`tether kitty setup` writes it) and restart this kitty',
      );
    }
    if (row.status !== "healthy") {
      return result(
        "kitty",
        "fail",
        `kitty ${pid}: remote control at ${row.socket_path} is ${row.status}: ${
          row.error?.message ?? ""
        }`
          .trimEnd(),
        row.status === "unresponsive"
          ? `kitty ${pid} is hung or stopped (kill -CONT ${pid}), or restart it`
          : "restart this kitty",
      );
    }
    const open = row.peer?.includes("no password") ?? false;
    const mode = open ? "no password" : "password mode";
    const message = `kitty ${pid}: remote control reachable (${mode}, ${
      formatMs(row.latency_ms)
    }), ${versionText}, ${pooling}`;
    if (open) {
      return result(
        "kitty",
        "warn",
        message,
        "this kitty runs remote-control commands from any of your processes without a password: use `tether kitty setup`'s include instead of allow_remote_control yes/socket-only",
      );
    }
    return result("kitty", "ok", message);
  });
}

/** The units worth checking for enabled/active: the timer and the focus service. */
const STARTED_UNITS = new Set(["tether-cleanup.timer", "tether-focus.service"]);

/** tether's systemd user units: installed, enabled, active (when systemctl exists). */
export function systemdChecks({ systemd }: DoctorFacts): CheckResult[] {
  if (systemd === null) return [result("systemd", "skip", "systemctl not found")];
  const missing = systemd.units.filter((unit) => !unit.installed);
  if (missing.length === systemd.units.length) {
    return [
      result(
        "systemd",
        "warn",
        `no tether units in ${systemd.unitDir}`,
        "tether systemd install, then the systemctl commands it prints",
      ),
    ];
  }
  const results: CheckResult[] = [];
  for (const unit of systemd.units) {
    const name = `systemd ${unit.name}`;
    if (!unit.installed) {
      results.push(result(name, "warn", `${unit.name} is not installed`, "tether systemd install"));
      continue;
    }
    const changed = unit.ours ? "" : " (changed by hand)";
    if (!STARTED_UNITS.has(unit.name)) {
      results.push(result(name, "ok", `${unit.name} installed${changed}`));
      continue;
    }
    if (!unit.enabled) {
      results.push(
        result(
          name,
          "warn",
          `${unit.name} installed${changed} but not enabled`,
          `systemctl --user enable --now ${unit.name}`,
        ),
      );
      continue;
    }
    if (unit.active === null) {
      results.push(
        result(
          name,
          "warn",
          `${unit.name} enabled${changed}; state unknown: ${
            systemd.managerProblem ?? "systemctl did not say"
          }`,
          "run tether doctor inside your login session (systemctl --user needs your user manager)",
        ),
      );
    } else if (unit.active === "active") {
      results.push(result(name, "ok", `${unit.name} installed, enabled and active${changed}`));
    } else {
      results.push(
        result(
          name,
          unit.active === "failed" ? "fail" : "warn",
          `${unit.name} enabled but ${unit.active}${changed}`,
          `journalctl --user -u ${unit.name} -n 20; then systemctl --user restart ${unit.name}`,
        ),
      );
    }
  }
  return results;
}

/** Sockets nothing listens on any more: `tether cleanup` removes them. */
export function staleSocketsCheck({ sockets }: DoctorFacts): CheckResult {
  const name = "stale_sockets";
  if (sockets === null) return result(name, "skip", "runtime dir unusable: not looked for");
  const stale = sockets.filter((row) => row.status === "stale");
  if (stale.length === 0) return result(name, "ok", `none among ${sockets.length} sockets`);
  const shown = stale.slice(0, 3).map((row) => row.socket_path).join(", ");
  const more = stale.length > 3 ? ` and ${stale.length - 3} more` : "";
  return result(
    name,
    "warn",
    `${stale.length} stale socket${stale.length === 1 ? "" : "s"}: ${shown}${more}`,
    "tether cleanup",
  );
}

/** The Conbus configuration is valid and the bridge (or `tether conbus serve`) reachable. */
export function conbusCheck({ conbus }: DoctorFacts): CheckResult {
  const name = "conbus";
  if (conbus.problem !== null) {
    return result(name, "fail", conbus.problem, 'fix the Conbus settings (README "Configuration")');
  }
  if (conbus.serve !== null) {
    const who = `tether conbus serve (pid ${conbus.serve.pid ?? "?"})`;
    if (conbus.serve.status === "connected") {
      return result(
        name,
        "ok",
        `${who} is connected to the bridge ${conbus.endpoint ?? ""}`.trimEnd(),
      );
    }
    return result(
      name,
      "fail",
      `${who}: bridge connection ${conbus.serve.status ?? "unknown"}${
        conbus.serve.lastError ? ` (${conbus.serve.lastError})` : ""
      }`,
      "check the bridge's power and network: serve keeps reconnecting by itself (tether socket-health shows its state)",
    );
  }
  if (conbus.endpoint === null) return result(name, "skip", "no Conbus bridge configured");
  const connect = conbus.connect;
  if (connect !== null && "latencyMs" in connect) {
    return result(
      name,
      "ok",
      `bridge ${conbus.endpoint} accepts connections (${formatMs(connect.latencyMs)})`,
    );
  }
  return result(
    name,
    "fail",
    `bridge ${conbus.endpoint} is not reachable: ${connect?.error ?? "not tried"}`,
    "check the bridge's address, power and network; it takes one client at a time: is the vendor app or xp connected?",
  );
}

function formatMs(ms: number | null): string {
  return ms === null ? "–" : `${Math.round(ms * 100) / 100} ms`;
}
