import { ConnectionError } from "../resilience/errors.ts";
import { type KittyCommand, type KittyResponse, versionProbeCommand } from "./codec.ts";
import { compareKittyVersions, formatKittyVersion, type KittyVersion } from "./kitty_version.ts";
import { LIVENESS_PROBE_VERSION, probeReplyKind } from "./probe.ts";

/**
 * The first kitty that serves other remote-control clients while a connection idles: before
 * 0.42.2 (fix b2b8ede0a) kitty's talk loop stops at the first open peer, so an idle pooled
 * connection starves every other client and burns a CPU core (measured on 0.26.5).
 */
export const POOLING_SAFE_SINCE: KittyVersion = [0, 42, 2];

/**
 * The version sent when kitty's version could not be read from its installation. kitty accepts
 * a protocol version only up to its own `[major, minor]`, so kitty >= 0.43 runs the (harmless)
 * `ls` and older kitty says "newer than this kitty"; 0.42.2 to 0.42.x are then classed as
 * unsafe — conservative, never wrong in the harmful direction.
 */
const POOLING_PROBE_VERSION: KittyVersion = [0, 43, 0];

/** Whether tether keeps connections to a kitty open, and what that rests on. */
export type PoolingDecision =
  /** From the exact version its installation declares (installed_version.ts). */
  | { basis: "version"; pooled: boolean; version: KittyVersion; source: string }
  /** From kitty's answer to a {@link POOLING_PROBE_VERSION} request (version unreadable). */
  | { basis: "reply"; pooled: boolean; unknownBecause: string };

/**
 * Decides pooling from kitty's exact version: pooled exactly for kitty >= 0.42.2.
 *
 * @example
 * ```ts
 * poolingForVersion([0, 42, 2], "/usr/lib/kitty/kitty/constants.py").pooled; // true
 * ```
 */
export function poolingForVersion(
  version: KittyVersion,
  source: string,
): PoolingDecision {
  const pooled = compareKittyVersions(version, POOLING_SAFE_SINCE) >= 0;
  return { basis: "version", pooled, version, source };
}

/**
 * The first authenticated request to a kitty. Its reply proves the password (in password mode a
 * silent kitty is showing its Allow/Deny prompt) and, when the version is unknown, decides
 * pooling: `ls` with {@link POOLING_PROBE_VERSION}. When the version is known it is `ls` with
 * the liveness version 0.99, which every kitty refuses at once after the password check — no
 * command runs.
 */
export function firstContactCommand(versionKnown: boolean): KittyCommand {
  return versionProbeCommand(versionKnown ? LIVENESS_PROBE_VERSION : POOLING_PROBE_VERSION);
}

/**
 * Interprets the reply to {@link firstContactCommand}: throws `auth` for a refused password and
 * `protocol` for anything unexpected. Without a version, returns the pooling decision from the
 * reply (`ok` = kitty >= 0.43 ran the `ls`, "newer than this kitty" = older); with one, returns
 * `decision` unchanged. A heuristic built on kitty's error text, used only when the version is
 * unreadable.
 */
export function decideFromFirstContact(
  reply: KittyResponse,
  label: string,
  known: { decision: PoolingDecision } | { unknownBecause: string },
): PoolingDecision {
  const kind = probeReplyKind(reply);
  if (kind === "password_rejected" || kind === "remote_control_disabled") {
    throw new ConnectionError(
      "auth",
      `${label}: kitty rejected the password (${reply.error}); check ~/.config/kitty/rc.password ` +
        "and remote_control_password in kitty.conf",
    );
  }
  if ("decision" in known) {
    if (kind === "newer_than_kitty") return known.decision;
  } else if (kind === "ok" || kind === "newer_than_kitty") {
    return { basis: "reply", pooled: kind === "ok", unknownBecause: known.unknownBecause };
  }
  throw new ConnectionError(
    "protocol",
    `${label}: unexpected reply to the version check: ${reply.error ?? JSON.stringify(reply)}`,
  );
}

/**
 * The pooling decision in words, for `tether focus status`.
 *
 * @example
 * ```ts
 * describePooling(poolingForVersion([0, 26, 5], "/usr/lib/kitty/kitty/constants.py"));
 * // "not pooled: kitty 0.26.5 (from /usr/lib/kitty/kitty/constants.py) < 0.42.2 starves ..."
 * ```
 */
export function describePooling(decision: PoolingDecision | null): string {
  const since = formatKittyVersion(POOLING_SAFE_SINCE);
  const starves = "starves other clients while a connection idles, so each burst of commands " +
    "closes its connection";
  if (decision === null) return "unknown until kitty is checked";
  if (decision.basis === "version") {
    const kitty = `kitty ${formatKittyVersion(decision.version)} (from ${decision.source})`;
    return decision.pooled
      ? `pooled: ${kitty} >= ${since} serves other clients while a connection idles`
      : `not pooled: ${kitty} < ${since} ${starves}`;
  }
  const why = `version unreadable: ${decision.unknownBecause}; judged by kitty's reply`;
  return decision.pooled
    ? `pooled: kitty >= 0.43 (${why})`
    : `not pooled: kitty < 0.43 ${starves} (${why}; 0.42.2-0.42.x are counted as older)`;
}
