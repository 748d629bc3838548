import type { ProbeOutcome } from "./probe.ts";
import type { FileFacts } from "./file_facts.ts";
import type { ListenerFiles } from "./listener_files.ts";
import type { SocketEntry } from "./socket_entry.ts";

/**
 * The pure decision rules of `tether cleanup` (compositor-ipc.md §4.1). A socket file is
 * removed only if every check passes; each function returns null when its check passes and a
 * keep-reason otherwise, so a report can say exactly why a file stayed.
 */

/**
 * Checks that need no probe (§4.1 steps 2–4): inside the runtime dir, a name tether knows
 * with our uid (sway), `lstat` says a socket (not a symlink, file or directory) owned by us.
 * Returns a keep-reason, or null when the entry may be probed.
 */
export function keepReasonBeforeProbe(
  entry: SocketEntry,
  uid: number,
  runtimeDir: string,
): string | null {
  if (!entry.inRuntimeDir || !isBelow(entry.path, runtimeDir)) {
    return "outside $XDG_RUNTIME_DIR (tether only cleans its own runtime directory)";
  }
  if (entry.nameUid !== null && entry.nameUid !== uid) {
    return `the uid in its name (${entry.nameUid}) is not yours (${uid})`;
  }
  if (entry.file === null) return "does not exist";
  if (entry.file.type === "symlink") return "a symlink (connect would test its target, not it)";
  if (entry.file.type !== "socket") return `a ${entry.file.type}, not a socket`;
  if (entry.file.uid !== uid) return `owned by uid ${entry.file.uid}, not by you`;
  return null;
}

/**
 * §4.1 step 5: only a refused connection proves a socket dead. Accepted (even without an
 * answer: a hung compositor), a full backlog, EACCES or ENOENT all keep the file.
 */
export function keepReasonAfterProbe(outcome: ProbeOutcome): string | null {
  if (outcome.answered) return "alive: it accepted a connection";
  switch (outcome.category) {
    case "refused":
      return null;
    case "timeout":
      return "alive but not answering (hung?): a hung compositor is not dead";
    case "busy":
      return "alive: its listen backlog is full";
    case "auth":
      return "permission denied: not yours";
    case "not_configured":
      return "vanished before it could be probed";
    default:
      return `alive: ${outcome.error}`;
  }
}

/**
 * A refused socket whose file some process listens on (in any network namespace) is a hung
 * peer with a full backlog, not a dead one: the compiled binary's runtime reports that EAGAIN
 * as ECONNREFUSED. Files are compared by inode, never by path text. While
 * some listener could not be matched to a file (`doubt`), no refused socket is proven dead.
 */
export function keepReasonListening(file: FileFacts, listeners: ListenerFiles): string | null {
  if (listeners.alive.has(file.ino)) {
    return "a process still listens on it (refuses only because its backlog is full: hung?)";
  }
  if (listeners.doubt !== null) return `cannot rule out a hung listener: ${listeners.doubt}`;
  return null;
}

/**
 * §4.1 step 7, right before unlink: the file — moved by then into cleanup's private quarantine
 * directory, where nothing can be swapped in under its name — must still be the socket that
 * refused: same device, inode and times, still a socket we own. A new compositor that reused
 * the PID has a new file (ext4 may even reuse the inode number, hence the times); a racer's
 * file or symlink put in its place differs too. No second connect is needed: nothing can start
 * listening on an existing socket file (bind needs a new one), and the listener check by inode
 * ran after the refusal.
 */
export function keepReasonBeforeUnlink(
  before: FileFacts,
  now: FileFacts | null,
  uid: number,
): string | null {
  if (now === null) return "vanished before removal";
  if (
    now.type !== "socket" || now.uid !== uid || now.dev !== before.dev ||
    now.ino !== before.ino || now.stamp !== before.stamp
  ) {
    return "replaced since it was checked (different file now): left alone";
  }
  return null;
}

/** Whether `path` lies strictly below `dir` (both absolute, normalised). */
function isBelow(path: string, dir: string): boolean {
  const prefix = dir.endsWith("/") ? dir : dir + "/";
  return path.startsWith(prefix) && !path.slice(prefix.length).split("/").includes("..");
}
