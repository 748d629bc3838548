/**
 * The real-peer sets every real-peer test runs against (README "Tests"): `debian12`, the host's
 * own Debian 12 packages (sway 1.7, kitty 0.26.5, i3 4.22), and `sid`, current releases in the
 * Debian sid root scripts/peers.sh makes (kitty 0.48, sway 1.12, i3 4.25). A sid program runs
 * through `unshare --mount` + `chroot --userspec`: in a private mount namespace (gone with the
 * process, so nothing is ever left mounted) the host's /proc, /dev, /sys, /tmp and /home are
 * bound into the root at the same paths, so the test's runtime dirs, sockets, X displays and
 * homes are the same files on both sides, and the PID namespace is the host's.
 *
 * ```ts
 * forEachPeerSet((set) =>
 *   Deno.test(`kitty answers ls ${set.label("kitty")}`, async () => {
 *     set.assertReady();
 *     const x = await startXvfb(set);
 *     const kitty = await startKitty(x, { peers: set });
 *     // ...
 *   })
 * );
 * ```
 *
 * A missing or broken sid root is never a skip: its tests are still registered and fail with
 * one line saying to run scripts/peers.sh. `TETHER_PEER_SETS=debian12` (or `sid`) narrows a
 * developer's run to one set on purpose; scripts/test.sh never sets it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

/** The name of a peer set. */
export type PeerSetName = "debian12" | "sid";

/** A peer a test can name in its title. */
export type PeerName = "kitty" | "sway" | "i3";

/** Versions of the peers in a set, without the Debian revision (`0.48.2`, `1.12`, `4.25.1`). */
export type PeerVersions = Record<PeerName, string>;

/** One set of real peers: where its binaries live and how to run them. */
export interface PeerSet {
  /** `debian12` or `sid`. */
  name: PeerSetName;
  /** The root its binaries run in: null for the host. */
  root: string | null;
  /** The installed versions; throws (with what to do) when the set is unusable. */
  versions(): PeerVersions;
  /** `[kitty 0.48.2, sway 1.12]` for test names; `[sid: unusable]` when versions() throws. */
  label(...peers: PeerName[]): string;
  /** Throws one clear error when the set cannot run (call first in every test of the set). */
  assertReady(): void;
  /**
   * argv that runs `argv` in this set as `uid:gid` (default: as the caller), environment
   * inherited. For the host set this is `argv` itself; every wrapper `exec`s, so the spawned
   * PID is the program's own PID. Throws when the set is unusable.
   */
  wrap(argv: readonly string[], ids?: { uid: number; gid: number }): string[];
  /** Whether `peer`'s version is at least `minimum` (`"0.42.2"`). */
  atLeast(peer: PeerName, minimum: string): boolean;
}

/** Where scripts/peers.sh puts the peer roots (`TETHER_PEERS_DIR` overrides). */
export function peersDir(): string {
  return Deno.env.get("TETHER_PEERS_DIR") ?? "/var/cache/tether-peers";
}

const PACKAGES: Record<PeerName, string> = { kitty: "kitty", sway: "sway", i3: "i3-wm" };

/** Host paths the sid root sees at the same place (runtime dirs and X sockets live in /tmp). */
const SHARED_PATHS = ["proc", "dev", "sys", "tmp", "home"];

/**
 * Runs in the private mount namespace: binds the shared paths, then execs chroot. `$1` root,
 * `$2` userspec (empty: stay the caller), the rest the program.
 */
const ENTER_ROOT = [
  'root="$1"; spec="$2"; shift 2',
  `for d in ${SHARED_PATHS.join(" ")}; do`,
  '  mount --rbind "/$d" "$root/$d" || { echo "peer set: cannot bind /$d into $root" >&2; exit 125; }',
  "done",
  'if [ -n "$spec" ]; then exec chroot --userspec="$spec" "$root" "$@"; fi',
  'exec chroot "$root" "$@"',
].join("\n");

function dpkgVersions(root: string | null): PeerVersions {
  const query = ["dpkg-query", "-W", "-f=${Package} ${Version}\\n", ...Object.values(PACKAGES)];
  const argv = root === null ? query : ["chroot", root, ...query];
  const out = new Deno.Command(argv[0]!, { args: argv.slice(1), stderr: "piped" }).outputSync();
  const text = new TextDecoder().decode(out.stdout);
  const byPackage = new Map(
    text.trim().split("\n").map((line) => line.split(" ") as [string, string]),
  );
  const versions = {} as PeerVersions;
  for (const [peer, pkg] of Object.entries(PACKAGES) as [PeerName, string][]) {
    const raw = byPackage.get(pkg);
    if (!out.success || !raw) {
      throw new Error(
        `peer set ${root ?? "debian12"}: ${pkg} is not installed (${
          new TextDecoder().decode(out.stderr).trim() || "dpkg-query found nothing"
        }) — run scripts/setup.sh`,
      );
    }
    versions[peer] = raw.replace(/^\d+:/, "").replace(/[-+~].*$/, "");
  }
  return versions;
}

/** Compares dotted numeric versions: negative, zero or positive like a sort comparator. */
export function compareVersions(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function makePeerSet(name: PeerSetName, root: string | null): PeerSet {
  let cached: PeerVersions | Error | undefined;
  const versions = (): PeerVersions => {
    if (cached === undefined) {
      try {
        if (root !== null && !existsSync(join(root, ".tether-peers"))) {
          throw new Error(
            `peer set sid: no peer root at ${root} — run scripts/peers.sh (scripts/setup.sh does)`,
          );
        }
        cached = dpkgVersions(root);
      } catch (error) {
        cached = error instanceof Error ? error : new Error(String(error));
      }
    }
    if (cached instanceof Error) throw cached;
    return cached;
  };
  const set: PeerSet = {
    name,
    root,
    versions,
    label: (...peers) => {
      try {
        const known = versions();
        const shown = peers.length > 0 ? peers : (Object.keys(PACKAGES) as PeerName[]);
        return `[${shown.map((peer) => `${peer} ${known[peer]}`).join(", ")}]`;
      } catch {
        return `[${name}: unusable]`;
      }
    },
    assertReady: () => void versions(),
    wrap: (argv, ids) => {
      if (root === null) return [...argv];
      versions(); // a missing root fails here, with what to do, not as a chroot error
      return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        ENTER_ROOT,
        "peer-set",
        root,
        ids ? `${ids.uid}:${ids.gid}` : "",
        ...argv,
      ];
    },
    atLeast: (peer, minimum) => compareVersions(versions()[peer], minimum) >= 0,
  };
  return set;
}

/** The host's own packages. */
export const DEBIAN12: PeerSet = makePeerSet("debian12", null);

/** Current releases from the Debian sid root made by scripts/peers.sh. */
export const SID: PeerSet = makePeerSet("sid", join(peersDir(), "sid"));

/** Every peer set, narrowed by `TETHER_PEER_SETS` (comma-separated names) when set. */
export const PEER_SETS: readonly PeerSet[] = (() => {
  const all = [DEBIAN12, SID];
  const wanted = Deno.env.get("TETHER_PEER_SETS");
  if (!wanted) return all;
  const names = wanted.split(",").map((part) => part.trim());
  const unknown = names.filter((part) => !all.some((set) => set.name === part));
  if (unknown.length > 0) {
    throw new Error(`TETHER_PEER_SETS: unknown peer set ${unknown.join(", ")} (debian12, sid)`);
  }
  return all.filter((set) => names.includes(set.name));
})();

/**
 * Registers tests once per peer set: `register` runs for each set and calls `Deno.test` itself,
 * carrying `set.label(...)` in the test name. Tests of an unusable set are registered anyway
 * and fail loudly at their first `wrap` (every start helper wraps) or `assertReady()`.
 */
export function forEachPeerSet(register: (set: PeerSet) => void): void {
  for (const set of PEER_SETS) register(set);
}
