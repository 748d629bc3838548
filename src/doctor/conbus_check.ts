import { type CheckResult, result } from "./check_result.ts";
import type { DoctorFacts } from "./facts.ts";
import { formatMs } from "./message_format.ts";

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
