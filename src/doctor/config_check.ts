import { type CheckResult, result } from "./check_result.ts";
import type { DoctorFacts } from "./facts.ts";

/** config.yml parses and every section and value in it is valid (or there is none). */
export function configCheck({ config }: DoctorFacts): CheckResult {
  if (!config.exists) return result("config", "ok", `no ${config.path} (defaults apply)`);
  if (config.problem !== null) {
    return result("config", "fail", config.problem, `fix ${config.path} (README "Configuration")`);
  }
  return result("config", "ok", `${config.path} is valid`);
}
