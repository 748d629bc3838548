import { lstat } from "node:fs/promises";
import { ConnectionError } from "../resilience/errors.ts";
import { retry, type RetryOptions } from "../resilience/retry.ts";
import type { RetryPolicy } from "../resilience/retry_policy.ts";
import type { AttemptTally } from "./attempt_tally.ts";
import type { KittyConnector } from "./client.ts";
import type { KittyCommand, KittyResponse } from "./codec.ts";
import { readKittyCredentials } from "./credentials.ts";
import { readRunningKittyVersion, type UnknownKittyVersion } from "./installed_version.ts";
import type { KittyInstance } from "./kitty_instance.ts";
import { decideFromFirstContact, firstContactCommand, poolingForVersion } from "./pooling.ts";
import { probeKitty } from "./probe.ts";

/** What {@link checkKitty} needs from the registry. */
export interface KittyCheckDeps {
  /** Retries of the probe. */
  policy: RetryPolicy;
  /** Clock, abort signal and retry counting of this kitty's retries. */
  retryOptions: RetryOptions;
  /** Connect and reply timeout per probe attempt. */
  timeoutMs: number;
  /** How to connect (default node:net). */
  connector: KittyConnector | undefined;
  /** Where `/proc` is. */
  procRoot: string;
  /** Where the kitty password is read from (`--password-file`; read again at every check). */
  passwordFile: string;
  /** Whether a PID is alive. */
  isAlive: (pid: number) => boolean;
  /** Sends kitty's first authenticated command (registry `#command`, `first_contact`). */
  firstContact: (command: KittyCommand) => Promise<KittyResponse>;
}

/**
 * The first check of a kitty, filling in what `instance` learns: the socket exists, the probe
 * answers (mode `open` / `password`), the credentials, the running version and the pooling
 * decision; then the first authenticated contact — in password mode silence means kitty's
 * Allow/Deny prompt. Throws a {@link ConnectionError}; the caller moves the state machine.
 *
 * @example
 * ```ts
 * await checkKitty(instance, newTally(), deps); // throws "kitty 4121: no remote-control socket …"
 * ```
 */
export async function checkKitty(
  instance: KittyInstance,
  tally: AttemptTally,
  deps: KittyCheckDeps,
): Promise<void> {
  const label = `kitty ${instance.pid}`;
  if (!deps.isAlive(instance.pid)) {
    throw new ConnectionError("closed", `${label}: the process is gone`);
  }
  await requireSocket(instance);
  instance.installed ??= await readRunningKittyVersion(instance.pid, deps.procRoot);
  const probe = await retry(
    deps.policy,
    () => {
      tally.sent = true;
      return probeKitty(instance.socketPath, {
        timeoutMs: deps.timeoutMs,
        connector: deps.connector,
        label,
      });
    },
    deps.retryOptions,
  );
  instance.mode = probe.mode;
  instance.credentials = probe.mode === "password"
    ? await readKittyCredentials(instance.pid, deps.passwordFile, deps.procRoot)
    : null;
  instance.pooling ??= "version" in instance.installed
    ? poolingForVersion(instance.installed.version, instance.installed.source)
    : null;
  // Skipped only when there is nothing to learn: no password to prove, pooling decided.
  if (instance.mode === "password" || instance.pooling === null) {
    const decided = instance.pooling;
    const reply = await deps.firstContact(firstContactCommand(decided !== null));
    instance.pooling = decideFromFirstContact(
      reply,
      label,
      decided !== null ? { decision: decided } : instance.installed as UnknownKittyVersion,
    );
  }
}

async function requireSocket(instance: KittyInstance): Promise<void> {
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
