import { type CheckResult, result } from "./check_result.ts";
import type { DoctorFacts } from "./facts.ts";
import { octalMode } from "./message_format.ts";

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
      `XDG_RUNTIME_DIR ${value} is shared (owner uid ${facts.uid}, mode ${octalMode(facts.mode)})`,
      privateDir,
    );
  }
  if ((facts.mode & 0o077) !== 0) {
    return result(
      name,
      "fail",
      `XDG_RUNTIME_DIR ${value} has mode ${octalMode(facts.mode)}, others can reach your sockets`,
      `chmod 0700 ${value}`,
    );
  }
  return result(name, "ok", `${value} (yours, ${octalMode(facts.mode)})`);
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
