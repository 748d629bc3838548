import { type CheckResult, type CheckStatus, overallStatus } from "../doctor/check_result.ts";
import { decideChecks } from "../doctor/decide.ts";
import { gatherDoctorFacts } from "../doctor/gather_facts.ts";
import { parseDurationMs } from "../platform/duration.ts";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { terminalStyle } from "./output_mode.ts";
import { plural } from "./focus_render.ts";

/** `tether doctor`'s flags as commander parsed them (declared in doctor.ts). */
export interface DoctorOptions {
  /**
   * Deadline of each probe, as typed (`1s`, `500ms`).
   *
   * @default {"1s"}
   */
  timeout: string;
}

/** Runs `tether doctor`: loaded only when that subcommand runs. */
export async function doctorAction(context: CliContext, options: DoctorOptions): Promise<void> {
  const timeoutMs = parseDurationMs(options.timeout, {
    name: "--timeout",
    unit: "s",
    maxMs: 60_000,
  });
  const facts = await gatherDoctorFacts({
    env: context.env,
    uid: process.getuid!(),
    timeoutMs,
  });
  const checks = decideChecks(facts);
  const status = overallStatus(checks);
  if (context.globals().json) {
    context.stdout(JSON.stringify({ status, checks }) + "\n");
  } else {
    context.stdout(
      renderChecks(checks, terminalStyle(context.env, context.stdoutIsTty).colour),
    );
  }
  context.setExitCode(status === "fail" ? ExitCode.failed : ExitCode.ok);
}

const LABELS: Record<CheckStatus, string> = { ok: "ok", warn: "warn", fail: "FAIL", skip: "–" };
const COLOURS: Record<CheckStatus, string> = {
  ok: "\x1b[32m",
  warn: "\x1b[33m",
  fail: "\x1b[31m",
  skip: "\x1b[90m",
};

/** One line per check (`fix:` under a warn or fail), then the counts. */
export function renderChecks(checks: readonly CheckResult[], colour: boolean): string {
  const width = Math.max(...checks.map((check) => check.check.length));
  const lines: string[] = [];
  for (const check of checks) {
    const label = LABELS[check.status].padEnd(4);
    const shown = colour ? `${COLOURS[check.status]}${label}\x1b[0m` : label;
    lines.push(`${shown}  ${check.check.padEnd(width)}  ${check.message}`);
    if (check.fix !== null) lines.push(`${" ".repeat(6 + width + 2)}fix: ${check.fix}`);
  }
  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  lines.push(
    `${count("fail")} failed, ${plural(count("warn"), "warning")}, ${count("ok")} ok, ${
      count("skip")
    } skipped`,
  );
  return lines.join("\n") + "\n";
}
