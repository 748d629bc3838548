import { type CheckResult, result } from "./check_result.ts";
import type { DoctorFacts } from "./facts.ts";

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
