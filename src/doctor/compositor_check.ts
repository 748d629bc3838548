import { basename } from "node:path";
import {
  COMPOSITOR_KINDS,
  compositorNames,
  COMPOSITORS,
  isCompositorKind,
} from "../compositor/compositors.ts";
import { proseList } from "../platform/prose_list.ts";
import type { HealthRow } from "../sockets/health.ts";
import { type CheckResult, result } from "./check_result.ts";
import type { DoctorFacts } from "./facts.ts";
import { formatMs } from "./message_format.ts";

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
