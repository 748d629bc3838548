import { formatKittyVersion } from "../kitty/kitty_version.ts";
import { poolingForVersion } from "../kitty/pooling.ts";
import { type CheckResult, result } from "./check_result.ts";
import type { DoctorFacts, PathFacts } from "./facts.ts";
import { formatMs, octalMode } from "./message_format.ts";

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
      what: `has mode ${octalMode(facts.mode)}: others can read the password`,
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
      ? (poolingForVersion(version.version, version.source).pooled ? "pooled" : "not pooled")
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
    const open = row.kitty_remote_control === "open";
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
