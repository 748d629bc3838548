import type { CheckResult } from "./check_result.ts";
import { compositorCheck } from "./compositor_check.ts";
import { conbusCheck } from "./conbus_check.ts";
import { configCheck } from "./config_check.ts";
import type { DoctorFacts } from "./facts.ts";
import { kittyChecks, kittyConfigCheck } from "./kitty_checks.ts";
import { runtimeDirCheck, staleSocketsCheck } from "./runtime_dir_checks.ts";
import { systemdChecks } from "./systemd_checks.ts";

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
