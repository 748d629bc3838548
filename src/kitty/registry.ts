import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { type Environment, runtimeDir } from "../platform/paths.ts";
import { DEFAULT_PROC_ROOT, isProcessAlive, readStartTimeMs } from "../platform/proc.ts";
import { type Clock, systemClock } from "../resilience/clock.ts";
import { ConnectionError, type ErrorCategory, toConnectionError } from "../resilience/errors.ts";
import { TypedEmitter } from "../resilience/events.ts";
import { retry } from "../resilience/retry.ts";
import { type RetryPolicy, schedulePolicy } from "../resilience/retry_policy.ts";
import { statusToJson, TargetStatus, type TargetStatusJson } from "../resilience/status.ts";
import {
  type KittyCommand,
  type KittyOsWindowInfo,
  type KittyResponse,
  lsCommand,
  parseLsData,
} from "./codec.ts";
import { DEFAULT_KITTY_TIMEOUT_MS, type KittyConnector } from "./client.ts";
import { type KittyCredentials, readKittyCredentials, sealCommand } from "./credentials.ts";
import { defaultPasswordFile } from "./password_file.ts";
import {
  readRunningKittyVersion,
  type RunningKittyVersion,
  type UnknownKittyVersion,
} from "./installed_version.ts";
import { formatKittyVersion } from "./kitty_version.ts";
import { KITTY_COMMAND_POLICY } from "./command_policy.ts";
import { type FontTargeting, fontTargetingFor, planOsWindowFontChange } from "./os_window_font.ts";
import {
  decideFromFirstContact,
  describePooling,
  firstContactCommand,
  type PoolingDecision,
  poolingForVersion,
} from "./pooling.ts";
import { KittyConnections } from "./kitty_connections.ts";
import { probeKitty } from "./probe.ts";

/** Where a kitty stands: `unknown` until first checked. */
export type KittyState = "unknown" | "ready" | "not_configured" | "failed";

/** Outcome of one font change, as the focus tracker reports it. */
export interface FontChangeResult {
  /** `skipped`: a zero change, nothing sent. */
  status: "success" | "failed" | "not_configured" | "skipped";
  /**
   * Tries made for this action: 1 plus every retry — of the first check (probe, first contact)
   * when the kitty had not been checked yet, and of the command itself; 0 when nothing was sent.
   */
  attempts: number;
  /** From the call to kitty's acknowledgement or the final failure, in milliseconds. */
  latencyMs: number;
  /** What went wrong and what to do, or null. Never contains the password. */
  error: string | null;
  /** The failure's category, or null. */
  category: ErrorCategory | null;
  /**
   * Besides (or instead of) the change asked for: `reset_all` = every OS window of that kitty went
   * back to its configured size (kitty < 0.35, see os_window_font.ts); `gone` = that OS window
   * no longer exists, nothing was sent; `not_active` = kitty < 0.35 and that OS window is not
   * kitty's active one (yet), nothing was sent.
   */
  effect?: "reset_all" | "gone" | "not_active";
}

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

/** Events of a {@link KittyRegistry}. */
export interface KittyRegistryEvents {
  /** A kitty's status changed. */
  status_changed: {
    pid: number;
    status: KittyState;
    previous: KittyState;
    reason: string | null;
    category: ErrorCategory | null;
  };
}

/** Options for {@link KittyRegistry}; durations in milliseconds. */
export interface KittyRegistryOptions {
  /** Environment for `$XDG_RUNTIME_DIR` and `$XDG_CONFIG_HOME` (default `process.env`). */
  env?: Environment;
  /** The password file (default `~/.config/kitty/rc.password`; `--password-file`). */
  passwordFile?: string;
  /** Connect and reply timeout per attempt (default 2000; `--socket-timeout`). */
  socketTimeoutMs?: number;
  /** Attempts per command, delays 0, 100, 200 ms (default 3; `--max-retries`). */
  maxAttempts?: number;
  /** Pooled connections over all kittys (default 10; `--max-connections`). */
  maxConnections?: number;
  /** Idle pooled connections close after this (default 1800000; `--idle-timeout`). */
  idleTimeoutMs?: number;
  /** Pool reaper period (default 300000; `--reap-interval`). */
  reapIntervalMs?: number;
  /** The socket of a kitty (default `$XDG_RUNTIME_DIR/kitty/kitty-<pid>.sock`). */
  socketPathFor?: (pid: number) => string;
  /** Default {@link systemClock}. */
  clock?: Clock;
  /** Default `/proc`. */
  procRoot?: string;
  /** How to connect (default node:net). */
  connector?: KittyConnector;
  /** Whether a PID is alive (default: signal 0). */
  isAlive?: (pid: number) => boolean;
}

/** Tries made for one action: anything sent, and how many retries. */
interface Tally {
  sent: boolean;
  retries: number;
}

const newTally = (): Tally => ({ sent: false, retries: 0 });
const attemptsOf = (tally: Tally) => (tally.sent ? 1 + tally.retries : 0);

interface Instance {
  readonly pid: number;
  /** When the process started (detects PID reuse); undefined until first looked up. */
  startTimeMs: number | undefined;
  readonly socketPath: string;
  status: TargetStatus<KittyState>;
  category: ErrorCategory | null;
  mode: "open" | "password" | null;
  /** Read once per process (PID + start time); undefined until then. */
  installed: RunningKittyVersion | UnknownKittyVersion | undefined;
  /** Decided once per process: from `installed`, else from kitty's first-contact reply. */
  pooling: PoolingDecision | null;
  permanent: boolean;
  credentials: KittyCredentials | null;
  /** kitty refused `action` (a password list without it): only `set-font-size` is used. */
  actionRefused: boolean;
  /** Jobs for this kitty run one after another: never two connections to one kitty at once. */
  tail: Promise<void>;
  queued: number;
}

const REJECTED = /rejected|disallowed|remote control is disabled/i;

/**
 * Records of kitties whose process is gone that are kept for `tether focus status` (the newest
 * ones); older ones are dropped when a new kitty is seen, so a tracker running for weeks does
 * not keep one record per kitty ever opened. Dropping is safe: a gone PID is never contacted.
 */
export const MAX_GONE_KITTIES_KEPT = 32;

/**
 * Every kitty tether talks to, keyed by PID: rendezvous socket, password, public key, status
 * (`ready` / `not_configured` / `failed`), pooling decision, last activity and the last 10
 * errors. A kitty is checked lazily on first use (or in the background via
 * {@link KittyRegistry.checkInBackground}) and the result cached; commands are retried with the
 * shared kitty policy (immediately, +100 ms, +200 ms). A silent first encrypted contact means
 * kitty shows its Allow/Deny prompt for an unknown password: `failed` with category `auth`,
 * never retried, and the kitty is left alone until its PID is new.
 *
 * @example
 * ```ts
 * const registry = new KittyRegistry();
 * const result = await registry.changeOsWindowFontSize(4121, null, +3, { allowReset: false });
 * console.log(registry.snapshot());
 * await registry.close();
 * ```
 */
export class KittyRegistry {
  /** `status_changed` events. */
  readonly events: TypedEmitter<KittyRegistryEvents> = new TypedEmitter();
  readonly #instances = new Map<number, Instance>();
  readonly #connections: KittyConnections;
  readonly #policy: RetryPolicy;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #passwordFile: string;
  readonly #socketPathFor: (pid: number) => string;
  readonly #procRoot: string;
  readonly #connector: KittyConnector | undefined;
  readonly #isAlive: (pid: number) => boolean;
  readonly #lifecycle = new AbortController();
  readonly #env: Environment;

  constructor(options: KittyRegistryOptions = {}) {
    const env = options.env ?? process.env;
    this.#env = env;
    this.#clock = options.clock ?? systemClock;
    this.#timeoutMs = options.socketTimeoutMs ?? DEFAULT_KITTY_TIMEOUT_MS;
    const maxAttempts = options.maxAttempts ?? KITTY_COMMAND_POLICY.maxAttempts;
    this.#policy = maxAttempts === KITTY_COMMAND_POLICY.maxAttempts
      ? KITTY_COMMAND_POLICY
      : schedulePolicy([0, 100, 200], { maxAttempts });
    this.#passwordFile = options.passwordFile ?? defaultPasswordFile(env);
    this.#socketPathFor = options.socketPathFor ??
      ((pid) => join(runtimeDir(env), "kitty", `kitty-${pid}.sock`));
    this.#procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
    this.#connector = options.connector;
    this.#isAlive = options.isAlive ?? isProcessAlive;
    this.#connections = new KittyConnections({
      socketPathFor: this.#socketPathFor,
      timeoutMs: this.#timeoutMs,
      connector: options.connector,
      clock: this.#clock,
      maxConnections: options.maxConnections ?? 10,
      idleTimeoutMs: options.idleTimeoutMs ?? 1_800_000,
      reapIntervalMs: options.reapIntervalMs ?? 300_000,
      onConnect: (pid) => this.#instances.get(pid)?.status.count("connects"),
      onReuse: (pid) => this.#instances.get(pid)?.status.count("reuses"),
    });
  }

  /**
   * Changes the font of OS window `osWindowId` of kitty `pid` by `deltaPt` points, as
   * {@link planOsWindowFontChange} plans it from a fresh `ls` (in the same job, so no other
   * command of tether's comes between): an `action` naming that OS window on kitty >= 0.35, else
   * `set-font-size` on kitty's active OS window — or, for a shrink of one that is not active and
   * `allowReset`, a reset of all of them (`effect: "reset_all"`). `osWindowId` null = the active
   * OS window without an `ls`. Never throws.
   */
  async changeOsWindowFontSize(
    pid: number,
    osWindowId: number | null,
    deltaPt: number,
    options: { allowReset: boolean },
  ): Promise<FontChangeResult> {
    const started = performance.now();
    if (deltaPt === 0) {
      return { status: "skipped", attempts: 0, latencyMs: 0, error: null, category: null };
    }
    const instance = this.#instance(pid);
    return await this.#enqueue(instance, async () => {
      const latencyMs = () => performance.now() - started;
      const tally = newTally();
      const state = await this.#ensureChecked(instance, tally);
      if (state !== "ready") {
        return {
          status: state === "not_configured" ? "not_configured" : "failed",
          attempts: attemptsOf(tally),
          latencyMs: latencyMs(),
          error: instance.status.reason,
          category: instance.category,
        };
      }
      try {
        const osWindows = osWindowId === null
          ? []
          : parseLsData((await this.#command(instance, lsCommand(), tally)).data);
        const plan = () =>
          planOsWindowFontChange(
            osWindows,
            osWindowId,
            deltaPt,
            this.#targeting(instance),
            options.allowReset,
          );
        const done = (extra: Partial<FontChangeResult>): FontChangeResult => ({
          status: "success",
          attempts: attemptsOf(tally),
          latencyMs: latencyMs(),
          error: null,
          category: null,
          ...extra,
        });
        let planned = plan();
        if (planned.kind === "send" && planned.command.cmd === "action") {
          try {
            await this.#command(instance, planned.command, tally);
            return done({});
          } catch (error) {
            // A password set up by an older tether allows no `action`: fall back to kitty's
            // active OS window for this kitty (README "tether kitty setup").
            if (!(error instanceof ConnectionError && error.category === "auth")) throw error;
            instance.actionRefused = true;
            planned = plan();
          }
        }
        if (planned.kind === "gone") {
          return done({
            status: "skipped",
            error: `OS window ${osWindowId} is gone`,
            effect: "gone",
          });
        }
        if (planned.kind === "unreachable") {
          return done({
            status: "failed",
            error: `kitty ${pid}: ${planned.reason}`,
            effect: "not_active",
          });
        }
        await this.#command(instance, planned.command, tally);
        return done(planned.kind === "reset_all" ? { effect: "reset_all" } : {});
      } catch (error) {
        const failure = this.#recordFailure(instance, error);
        return {
          status: "failed",
          attempts: attemptsOf(tally),
          latencyMs: latencyMs(),
          error: instance.status.reason ?? failure.message,
          category: failure.category,
        };
      }
    });
  }

  /**
   * PIDs of the kitties whose rendezvous socket exists (`kitty-<pid>.sock` in the directory of
   * the default rendezvous): the candidates for an X11 window whose PID the compositor does not
   * report (i3).
   */
  async socketPids(): Promise<number[]> {
    const directory = join(runtimeDir(this.#env), "kitty");
    const names = await readdir(directory).catch(() => [] as string[]);
    return names.flatMap((name) => {
      const match = /^kitty-(\d+)\.sock$/.exec(name);
      return match !== null && this.#isAlive(Number(match[1])) ? [Number(match[1])] : [];
    });
  }

  #targeting(instance: Instance): FontTargeting {
    if (instance.actionRefused) return "active";
    const installed = instance.installed;
    const version = installed !== undefined && "version" in installed ? installed.version : null;
    const pooling = instance.pooling;
    return fontTargetingFor(version, pooling?.basis === "reply" && pooling.pooled);
  }

  /** kitty's windows (`ls`), for status and tests. Throws a {@link ConnectionError}. */
  async listWindows(pid: number): Promise<KittyOsWindowInfo[]> {
    const instance = this.#instance(pid);
    return await this.#enqueue(instance, async () => {
      const state = await this.#ensureChecked(instance);
      if (state !== "ready") {
        throw new ConnectionError(
          instance.category ?? "not_configured",
          instance.status.reason ?? "",
        );
      }
      try {
        return parseLsData((await this.#command(instance, lsCommand(), newTally())).data);
      } catch (error) {
        throw this.#recordFailure(instance, error);
      }
    });
  }

  /** Checks kitty `pid` now (or returns the cached result) and returns its state. */
  async check(pid: number): Promise<KittyState> {
    const instance = this.#instance(pid);
    return await this.#enqueue(instance, () => this.#ensureChecked(instance));
  }

  /**
   * Starts the check of a kitty (a kitty window just opened) without waiting for it; the result
   * lands in the status and the `status_changed` event.
   */
  checkInBackground(pid: number): void {
    this.check(pid).catch(() => {});
  }

  /** Every known kitty, for `tether focus status`. */
  snapshot(): KittyInstanceStatus[] {
    return [...this.#instances.values()].map((instance) => ({
      pid: instance.pid,
      socket_path: instance.socketPath,
      mode: instance.mode,
      version: instance.installed !== undefined && "version" in instance.installed
        ? formatKittyVersion(instance.installed.version)
        : null,
      pooled: instance.pooling?.pooled ?? null,
      pooling: describePooling(instance.pooling),
      permanent: instance.permanent,
      ...statusToJson(instance.status.snapshot()),
    }));
  }

  /**
   * Stops retrying (an attempt in flight still ends within the socket timeout; queued work fails
   * with `closed` instead of waiting out retry delays), waits for it, closes every connection.
   */
  async close(): Promise<void> {
    this.#lifecycle.abort(
      new ConnectionError("closed", "kitty registry closed", { recoverable: false }),
    );
    await Promise.all([...this.#instances.values()].map((instance) => instance.tail));
    await this.#connections.close();
  }

  /**
   * The record of `pid`, created synchronously so calls for one kitty queue in call order (a
   * shrink and a grow must not swap). Whether the PID now names another process is checked
   * inside each job.
   */
  #instance(pid: number): Instance {
    const known = this.#instances.get(pid);
    if (known) return known;
    const instance: Instance = {
      pid,
      startTimeMs: undefined,
      socketPath: this.#socketPathFor(pid),
      status: this.#newStatus(pid),
      category: null,
      mode: null,
      installed: undefined,
      pooling: null,
      permanent: false,
      credentials: null,
      actionRefused: false,
      tail: Promise.resolve(),
      queued: 0,
    };
    this.#instances.set(pid, instance);
    this.#forgetOldGoneKitties();
    return instance;
  }

  /** Drops the oldest idle records of gone kitties beyond {@link MAX_GONE_KITTIES_KEPT}. */
  #forgetOldGoneKitties(): void {
    const gone = [...this.#instances.values()].filter((instance) =>
      instance.queued === 0 && !this.#isAlive(instance.pid)
    );
    for (const instance of gone.slice(0, Math.max(0, gone.length - MAX_GONE_KITTIES_KEPT))) {
      this.#instances.delete(instance.pid);
      this.#connections.forget(instance.pid);
    }
  }

  #newStatus(pid: number): TargetStatus<KittyState> {
    return new TargetStatus<KittyState>(`kitty ${pid}`, {
      clock: this.#clock,
      upStatuses: ["ready"],
    });
  }

  /** A PID whose process started at another time is a new kitty: forget what the old one taught. */
  async #verifyIdentity(instance: Instance): Promise<void> {
    const startTimeMs = await readStartTimeMs(instance.pid, this.#procRoot);
    if (startTimeMs === null) return; // gone: the check or command will find out
    if (instance.startTimeMs === undefined) {
      instance.startTimeMs = startTimeMs;
      return;
    }
    if (instance.startTimeMs === startTimeMs) return;
    instance.startTimeMs = startTimeMs;
    instance.status = this.#newStatus(instance.pid);
    instance.category = null;
    instance.mode = null;
    instance.installed = undefined;
    instance.pooling = null;
    instance.permanent = false;
    instance.credentials = null;
    instance.actionRefused = false;
    this.#connections.forget(instance.pid);
  }

  #enqueue<T>(instance: Instance, job: () => Promise<T>): Promise<T> {
    instance.queued++;
    const run = instance.tail.then(async () => {
      await this.#verifyIdentity(instance);
      return await job();
    });
    instance.tail = run.then(() => {}, () => {}).then(async () => {
      instance.queued--;
      // kitty < 0.42.2 starves every other client while a connection stays open.
      if (instance.queued === 0) await this.#connections.endBurst(instance.pid);
    });
    return run;
  }

  /** Checks the kitty unless it is ready (or failed for good); its tries count in `tally`. */
  async #ensureChecked(instance: Instance, tally: Tally = newTally()): Promise<KittyState> {
    const state = instance.status.status;
    if (state === "ready" || instance.permanent) return state;
    const label = `kitty ${instance.pid}`;
    try {
      if (!this.#isAlive(instance.pid)) {
        throw new ConnectionError("closed", `${label}: the process is gone`);
      }
      await this.#requireSocket(instance);
      instance.installed ??= await readRunningKittyVersion(instance.pid, this.#procRoot);
      const probe = await retry(
        this.#policy,
        () => {
          tally.sent = true;
          return probeKitty(instance.socketPath, {
            timeoutMs: this.#timeoutMs,
            connector: this.#connector,
            label,
          });
        },
        {
          clock: this.#clock,
          signal: this.#lifecycle.signal,
          onRetry: this.#onRetry(instance, tally),
        },
      );
      instance.mode = probe.mode;
      instance.credentials = probe.mode === "password"
        ? await readKittyCredentials(instance.pid, this.#passwordFile, this.#procRoot)
        : null;
      instance.pooling ??= "version" in instance.installed
        ? poolingForVersion(instance.installed.version, instance.installed.source)
        : null;
      // First authenticated contact: in password mode silence means kitty's Allow/Deny prompt.
      // Skipped only when there is nothing to learn: no password to prove, pooling decided.
      if (instance.mode === "password" || instance.pooling === null) {
        const decided = instance.pooling;
        const reply = await this.#command(
          instance,
          firstContactCommand(decided !== null),
          tally,
          "first_contact",
        );
        instance.pooling = decideFromFirstContact(
          reply,
          label,
          decided !== null ? { decision: decided } : instance.installed as UnknownKittyVersion,
        );
      }
      instance.category = null;
      this.#setStatus(instance, "ready", null);
      instance.status.recordActivity();
    } catch (error) {
      this.#recordFailure(instance, error);
    }
    return instance.status.status;
  }

  async #requireSocket(instance: Instance): Promise<void> {
    try {
      await lstat(instance.socketPath);
    } catch {
      throw new ConnectionError(
        "not_configured",
        `kitty ${instance.pid}: no remote-control socket at ${instance.socketPath}; run ` +
          "`tether kitty setup` and add its include line to kitty.conf, then restart kitty",
      );
    }
  }

  /** Sends a command with retries; `first_contact` = a silent kitty is `auth`, not retried. */
  async #command(
    instance: Instance,
    command: KittyCommand,
    tally: Tally,
    contact: "first_contact" | "established" = "established",
  ): Promise<KittyResponse> {
    const silenceMeans = contact === "first_contact" && instance.mode === "password"
      ? "auth"
      : "timeout";
    const reply = await retry(
      this.#policy,
      async () => {
        tally.sent = true;
        return await this.#connections.send(
          instance.pid,
          await sealCommand(command, instance.credentials),
          { pooled: instance.pooling?.pooled === true, silenceMeans },
        );
      },
      {
        clock: this.#clock,
        signal: this.#lifecycle.signal,
        onRetry: this.#onRetry(instance, tally),
      },
    );
    if (!reply.ok && REJECTED.test(reply.error ?? "") && contact === "established") {
      throw new ConnectionError(
        "auth",
        `kitty ${instance.pid}: kitty refused the command (${reply.error}); check ` +
          `${this.#passwordFile} and remote_control_password in kitty.conf`,
      );
    }
    if (!reply.ok && contact === "established") {
      throw new ConnectionError(
        "protocol",
        `kitty ${instance.pid}: ${command.cmd} failed: ${reply.error ?? "no reason given"}`,
        { recoverable: false },
      );
    }
    instance.status.recordActivity();
    return reply;
  }

  #onRetry(instance: Instance, tally: Tally): () => void {
    return () => {
      tally.retries++;
      instance.status.count("retries");
    };
  }

  #recordFailure(instance: Instance, error: unknown): ConnectionError {
    const failure = toConnectionError(error, `kitty ${instance.pid}`);
    instance.status.recordError(failure);
    instance.status.count("failures");
    instance.category = failure.category;
    // A missing socket means "not configured" only while kitty runs: kitty >= 0.39 removes its
    // socket itself when it dies (even by SIGKILL), so a dead kitty's is gone too.
    const gone = !this.#isAlive(instance.pid);
    if (failure.category === "not_configured" && !gone) {
      this.#setStatus(instance, "not_configured", failure.message);
      return failure;
    }
    if (failure.category === "auth" || gone) instance.permanent = true;
    this.#setStatus(
      instance,
      "failed",
      gone ? `kitty ${instance.pid}: the process is gone (${failure.message})` : failure.message,
    );
    if (gone) this.#connections.forget(instance.pid);
    return failure;
  }

  #setStatus(instance: Instance, status: KittyState, reason: string | null): void {
    const previous = instance.status.status;
    if (instance.status.setStatus(status, reason, instance.category) || previous === "unknown") {
      this.events.emit("status_changed", {
        pid: instance.pid,
        status,
        previous,
        reason,
        category: instance.category,
      });
    }
  }
}
