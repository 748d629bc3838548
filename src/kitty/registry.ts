import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type Environment, runtimeDir } from "../platform/paths.ts";
import { DEFAULT_PROC_ROOT, isProcessAlive, readStartTimeMs } from "../platform/proc.ts";
import { type Clock, systemClock } from "../resilience/clock.ts";
import { ConnectionError, type ErrorCategory, toConnectionError } from "../resilience/errors.ts";
import { TypedEmitter } from "../resilience/events.ts";
import { retry, type RetryOptions } from "../resilience/retry.ts";
import { type RetryPolicy, schedulePolicy } from "../resilience/retry_policy.ts";
import { KeyedSerialQueue } from "../resilience/keyed_serial_queue.ts";
import {
  type KittyCommand,
  type KittyOsWindowInfo,
  type KittyResponse,
  lsCommand,
  parseLsData,
} from "./codec.ts";
import { DEFAULT_KITTY_TIMEOUT_MS, type KittyConnector } from "./client.ts";
import { sealCommand } from "./credentials.ts";
import { defaultPasswordFile } from "./password_file.ts";
import { KITTY_COMMAND_POLICY } from "./command_policy.ts";
import { planOsWindowFontChange } from "./os_window_font.ts";
import { attemptsOf, type AttemptTally, newTally } from "./attempt_tally.ts";
import { checkKitty } from "./kitty_check.ts";
import { KittyConnections } from "./kitty_connections.ts";
import { refusesAuthorisation } from "./refusals.ts";
import {
  applyKittyEvent,
  fontTargetingOf,
  forgetKittyProcess,
  type KittyInstance,
  type KittyInstanceStatus,
  kittyInstanceStatus,
  newKittyInstance,
} from "./kitty_instance.ts";
import {
  type KittyCheckOutcome,
  type KittyInstanceEvent,
  type KittyStatus,
  needsCheck,
} from "./kitty_instance_state.ts";

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

/** Events of a {@link KittyRegistry}. */
export interface KittyRegistryEvents {
  /** A kitty's status changed. */
  status_changed: {
    pid: number;
    status: KittyStatus;
    previous: KittyStatus;
    reason: string | null;
    category: ErrorCategory | null;
  };
}

/** Options for {@link KittyRegistry}; durations in milliseconds. */
export interface KittyRegistryOptions {
  /**
   * Environment for `$XDG_RUNTIME_DIR` and `$XDG_CONFIG_HOME`.
   * @default `process.env`
   */
  env?: Environment;
  /**
   * Where the kitty password is read from (`--password-file`), the same file `kitty setup`
   * writes and kitty.conf's `remote_control_password` names.
   * @default `~/.config/kitty/rc.password`
   */
  passwordFile?: string;
  /**
   * Connect and reply timeout per attempt (`--socket-timeout`).
   * @default 2000
   */
  socketTimeoutMs?: number;
  /**
   * Attempts per command, delays 0, 100, 200 ms (`--max-retries`).
   * @default 3
   */
  maxAttempts?: number;
  /**
   * Pooled connections over all kittys (`--max-connections`).
   * @default 10
   */
  maxConnections?: number;
  /**
   * Idle pooled connections close after this (`--idle-timeout`).
   * @default 1800000
   */
  idleTimeoutMs?: number;
  /**
   * Pool reaper period (`--reap-interval`).
   * @default 300000
   */
  reapIntervalMs?: number;
  /**
   * The socket of a kitty.
   * @default `$XDG_RUNTIME_DIR/kitty/kitty-<pid>.sock`
   */
  socketPathFor?: (pid: number) => string;
  /**
   * Waits, timers and status times.
   * @default {@link systemClock}
   */
  clock?: Clock;
  /**
   * Where process facts are read.
   * @default `/proc`
   */
  procRoot?: string;
  /**
   * How to connect.
   * @default node:net
   */
  connector?: KittyConnector;
  /**
   * Whether a PID is alive.
   * @default signal 0
   */
  isAlive?: (pid: number) => boolean;
}

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
  readonly #instances = new Map<number, KittyInstance>();
  /** Jobs for one kitty run one after another: never two connections to one kitty at once. */
  readonly #jobs: KeyedSerialQueue<number>;
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
    // kitty < 0.42.2 starves every other client while a connection stays open.
    this.#jobs = new KeyedSerialQueue({ onDrained: (pid) => this.#connections.endBurst(pid) });
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
      const tally = newTally();
      const result = (
        status: FontChangeResult["status"],
        extra: Partial<FontChangeResult> = {},
      ): FontChangeResult => ({
        status,
        attempts: attemptsOf(tally),
        latencyMs: performance.now() - started,
        error: null,
        category: null,
        ...extra,
      });
      const state = await this.#ensureChecked(instance, tally);
      if (state !== "ready") {
        const { reason: error, category } = instance.state;
        return result(state === "not_configured" ? state : "failed", { error, category });
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
            fontTargetingOf(instance),
            options.allowReset,
          );
        let planned = plan();
        if (planned.kind === "send" && planned.command.cmd === "action") {
          try {
            await this.#command(instance, planned.command, tally);
            return result("success");
          } catch (error) {
            // A password set up by an older tether allows no `action`: fall back to kitty's
            // active OS window for this kitty (README "tether kitty setup").
            if (!(error instanceof ConnectionError && error.category === "auth")) throw error;
            instance.actionRefused = true;
            planned = plan();
          }
        }
        if (planned.kind === "gone") {
          return result("skipped", { error: `OS window ${osWindowId} is gone`, effect: "gone" });
        }
        if (planned.kind === "unreachable") {
          return result("failed", {
            error: `kitty ${pid}: ${planned.reason}`,
            effect: "not_active",
          });
        }
        await this.#command(instance, planned.command, tally);
        return result("success", planned.kind === "reset_all" ? { effect: "reset_all" } : {});
      } catch (error) {
        const failure = this.#recordFailure(instance, error);
        const { message, category } = failure;
        return result("failed", { error: instance.state.reason ?? message, category });
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

  /** kitty's windows (`ls`), for status and tests. Throws a {@link ConnectionError}. */
  async listWindows(pid: number): Promise<KittyOsWindowInfo[]> {
    const instance = this.#instance(pid);
    return await this.#enqueue(instance, async () => {
      const state = await this.#ensureChecked(instance);
      if (state !== "ready") {
        throw new ConnectionError(
          instance.state.category ?? "not_configured",
          instance.state.reason ?? "",
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
  async check(pid: number): Promise<KittyCheckOutcome> {
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
    return [...this.#instances.values()].map(kittyInstanceStatus);
  }

  /**
   * Stops retrying (an attempt in flight still ends within the socket timeout; queued work fails
   * with `closed` instead of waiting out retry delays), waits for it, closes every connection.
   */
  async close(): Promise<void> {
    this.#lifecycle.abort(
      new ConnectionError("closed", "kitty registry closed", { recoverable: false }),
    );
    await this.#jobs.idle();
    await this.#connections.close();
  }

  /**
   * The record of `pid`, created synchronously so calls for one kitty queue in call order (a
   * shrink and a grow must not swap). Whether the PID now names another process is checked
   * inside each job.
   */
  #instance(pid: number): KittyInstance {
    const known = this.#instances.get(pid);
    if (known) return known;
    const instance = newKittyInstance(pid, this.#socketPathFor(pid), this.#clock);
    this.#instances.set(pid, instance);
    this.#forgetOldGoneKitties();
    return instance;
  }

  /** Drops the oldest idle records of gone kitties beyond {@link MAX_GONE_KITTIES_KEPT}. */
  #forgetOldGoneKitties(): void {
    const gone = [...this.#instances.values()].filter((instance) =>
      this.#jobs.pending(instance.pid) === 0 && !this.#isAlive(instance.pid)
    );
    for (const instance of gone.slice(0, Math.max(0, gone.length - MAX_GONE_KITTIES_KEPT))) {
      this.#instances.delete(instance.pid);
      this.#connections.forget(instance.pid);
    }
  }

  /** A PID whose process started at another time is a new kitty: forget what the old one taught. */
  async #verifyIdentity(instance: KittyInstance): Promise<void> {
    const startTimeMs = await readStartTimeMs(instance.pid, this.#procRoot);
    // null: gone, the check or command will find out.
    if (startTimeMs === null || instance.startTimeMs === startTimeMs) return;
    const replaced = instance.startTimeMs !== undefined;
    instance.startTimeMs = startTimeMs;
    if (!replaced) return;
    forgetKittyProcess(instance, this.#clock);
    this.#connections.forget(instance.pid);
  }

  #enqueue<T>(instance: KittyInstance, job: () => Promise<T>): Promise<T> {
    return this.#jobs.run(instance.pid, async () => {
      await this.#verifyIdentity(instance);
      return await job();
    });
  }

  /** Checks the kitty unless it is ready (or failed for good); its tries count in `tally`. */
  async #ensureChecked(
    instance: KittyInstance,
    tally: AttemptTally = newTally(),
  ): Promise<KittyCheckOutcome> {
    if (!needsCheck(instance.state)) return instance.state.status as KittyCheckOutcome;
    try {
      await checkKitty(instance, tally, {
        policy: this.#policy,
        retryOptions: this.#retryOptions(instance, tally),
        timeoutMs: this.#timeoutMs,
        connector: this.#connector,
        procRoot: this.#procRoot,
        passwordFile: this.#passwordFile,
        isAlive: this.#isAlive,
        firstContact: (command) => this.#command(instance, command, tally, "first_contact"),
      });
      this.#apply(instance, { kind: "check_passed" });
      instance.status.recordActivity();
    } catch (error) {
      this.#recordFailure(instance, error);
    }
    return instance.state.status as KittyCheckOutcome;
  }

  /** Sends a command with retries; `first_contact` = a silent kitty is `auth`, not retried. */
  async #command(
    instance: KittyInstance,
    command: KittyCommand,
    tally: AttemptTally,
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
      this.#retryOptions(instance, tally),
    );
    if (!reply.ok && refusesAuthorisation(reply.error ?? "") && contact === "established") {
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

  /** Retries wait on the clock, stop when the registry closes, and count in tally and status. */
  #retryOptions(instance: KittyInstance, tally: AttemptTally): RetryOptions {
    const onRetry = () => {
      tally.retries++;
      instance.status.count("retries");
    };
    return { clock: this.#clock, signal: this.#lifecycle.signal, onRetry };
  }

  #recordFailure(instance: KittyInstance, error: unknown): ConnectionError {
    const failure = toConnectionError(error, `kitty ${instance.pid}`);
    instance.status.recordError(failure);
    instance.status.count("failures");
    const processAlive = this.#isAlive(instance.pid);
    const { category, message } = failure;
    const target = `kitty ${instance.pid}`;
    this.#apply(instance, { kind: "failed", target, category, message, processAlive });
    if (!processAlive) this.#connections.forget(instance.pid);
    return failure;
  }

  #apply(instance: KittyInstance, event: KittyInstanceEvent): void {
    const previous = applyKittyEvent(instance, event);
    if (previous === null) return;
    const { status, reason, category } = instance.state;
    this.events.emit("status_changed", { pid: instance.pid, status, previous, reason, category });
  }
}
