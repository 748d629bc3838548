import type { Clock } from "../resilience/clock.ts";
import { statusToJson, TargetStatus, type TargetStatusJson } from "../resilience/status.ts";
import type { KittyCredentials } from "./credentials.ts";
import type { RunningKittyVersion, UnknownKittyVersion } from "./installed_version.ts";
import { formatKittyVersion } from "./kitty_version.ts";
import {
  type KittyInstanceEvent,
  type KittyInstanceState,
  type KittyStatus,
  nextKittyState,
  UNCHECKED_KITTY,
} from "./kitty_instance_state.ts";
import { type FontTargeting, fontTargetingFor } from "./os_window_font.ts";
import { describePooling, type PoolingDecision } from "./pooling.ts";

/** One kitty as `tether focus status` shows it. */
export interface KittyInstanceStatus extends TargetStatusJson {
  /** kitty's PID (the registry key). */
  pid: number;
  /** Its rendezvous socket. */
  socket_path: string;
  /** `password` or `open` (no password needed), null until probed. */
  mode: "open" | "password" | null;
  /** kitty's version (`0.26.5`) as its installation declares it, null when unreadable. */
  version: string | null;
  /** Whether connections are kept open (kitty >= 0.42.2), null until decided. */
  pooled: boolean | null;
  /** Why: the pooling decision in words, including what it rests on. */
  pooling: string;
  /** Failed for good (wrong password, process gone): not contacted again until a new PID. */
  permanent: boolean;
}

/**
 * What the registry knows about one kitty process: its place in the state machine
 * (kitty_instance_state.ts) plus what its checks learned. Everything but `pid` and `socketPath`
 * belongs to one process (PID + start time) and is forgotten by {@link forgetKittyProcess}.
 */
export interface KittyInstance {
  /** kitty's PID (the registry key). */
  readonly pid: number;
  /** Its rendezvous socket. */
  readonly socketPath: string;
  /** When the process started (detects PID reuse); undefined until first looked up. */
  startTimeMs: number | undefined;
  /** Its state-machine state. */
  state: KittyInstanceState;
  /** Status, activity, counters and recent errors, for `tether focus status`. */
  status: TargetStatus<KittyStatus>;
  /** `password` or `open`, null until probed. */
  mode: "open" | "password" | null;
  /** Read once per process (PID + start time); undefined until then. */
  installed: RunningKittyVersion | UnknownKittyVersion | undefined;
  /** Decided once per process: from `installed`, else from kitty's first-contact reply. */
  pooling: PoolingDecision | null;
  /** Read after the probe in password mode. */
  credentials: KittyCredentials | null;
  /** kitty refused `action` (a password list without it): only `set-font-size` is used. */
  actionRefused: boolean;
}

const newStatus = (pid: number, clock: Clock) =>
  new TargetStatus<KittyStatus>(`kitty ${pid}`, { clock, upStatuses: ["ready"] });

/** What one process (PID + start time) teaches: all of it is forgotten when the PID is reused. */
function unchecked(pid: number, clock: Clock) {
  return {
    state: UNCHECKED_KITTY,
    status: newStatus(pid, clock),
    mode: null,
    installed: undefined,
    pooling: null,
    credentials: null,
    actionRefused: false,
  };
}

/** A kitty never checked. */
export function newKittyInstance(pid: number, socketPath: string, clock: Clock): KittyInstance {
  return { pid, socketPath, startTimeMs: undefined, ...unchecked(pid, clock) };
}

/** The PID names another process now: forget everything the old one taught. */
export function forgetKittyProcess(instance: KittyInstance, clock: Clock): void {
  Object.assign(instance, unchecked(instance.pid, clock), {
    state: nextKittyState(instance.state, { kind: "process_replaced" }),
  });
}

/**
 * Moves `instance` through the state machine and mirrors the result into its status. Returns
 * the previous status when the change is worth a `status_changed` event (a new status, or the
 * first result of an unknown kitty), else null.
 */
export function applyKittyEvent(
  instance: KittyInstance,
  event: KittyInstanceEvent,
): KittyStatus | null {
  const previous = instance.state.status;
  instance.state = nextKittyState(instance.state, event);
  const { status, reason, category } = instance.state;
  const changed = instance.status.setStatus(status, reason, category);
  return changed || previous === "unknown" ? previous : null;
}

/** How a font change reaches one OS window of this kitty (os_window_font.ts). */
export function fontTargetingOf(instance: KittyInstance): FontTargeting {
  if (instance.actionRefused) return "active";
  const installed = instance.installed;
  const version = installed !== undefined && "version" in installed ? installed.version : null;
  const pooling = instance.pooling;
  return fontTargetingFor(version, pooling?.basis === "reply" && pooling.pooled);
}

/** The kitty as `tether focus status` shows it. */
export function kittyInstanceStatus(instance: KittyInstance): KittyInstanceStatus {
  return {
    pid: instance.pid,
    socket_path: instance.socketPath,
    mode: instance.mode,
    version: instance.installed !== undefined && "version" in instance.installed
      ? formatKittyVersion(instance.installed.version)
      : null,
    pooled: instance.pooling?.pooled ?? null,
    pooling: describePooling(instance.pooling),
    permanent: instance.state.permanent,
    ...statusToJson(instance.status.snapshot()),
  };
}
