import { type ChildProcess, spawn } from "node:child_process";
import { chownSync, existsSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import {
  childPidsOf,
  pidExists,
  runAsUser,
  type RunResult,
  TEST_USER,
  userIds,
  waitForExit,
} from "./test_user.ts";
import { waitFor } from "./wait.ts";

/** A real `systemd --user` manager for the test user (see {@link startUserManager}). */
export interface UserManager {
  /** The manager's PID. */
  pid: number;
  /** `systemctl --user ...args` as the user, against this manager. */
  systemctl(args: readonly string[]): Promise<RunResult>;
  /** `systemctl --user is-active <unit>`: active, inactive, activating, failed … */
  isActive(unit: string): Promise<string>;
  /** Stops the manager (SIGTERM: it stops every unit and exits), kills what is left, removes its cgroups. */
  stop(): Promise<void>;
}

/** cgroup hierarchies the manager needs a delegated directory in (v2, and v1's name=systemd). */
function hierarchies(): string[] {
  if (existsSync("/sys/fs/cgroup/cgroup.controllers")) return ["/sys/fs/cgroup"]; // pure v2
  return ["/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"].filter((path) => existsSync(path));
}

/** Every process in a cgroup directory and below it. */
function cgroupPids(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const pids = readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(
    Number,
  );
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) pids.push(...cgroupPids(join(dir, entry.name)));
  }
  return pids;
}

/** Removes a cgroup directory tree, deepest first (only empty cgroups can go). */
function removeCgroup(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroup(join(dir, entry.name));
  }
  rmdirSync(dir);
}

/**
 * Starts a real `systemd --user` for `user` on this machine, which has no systemd as PID 1:
 * in a private mount namespace (`unshare --mount`) a tmpfs on /run/systemd holds the
 * `system` directory whose absence makes systemd refuse to run, and the manager gets a cgroup
 * of its own, owned by the user (the delegation user@.service gives it on a systemd machine;
 * without it systemd exits at once: mkdir init.scope, EACCES). No D-Bus: systemctl --user
 * talks to the manager's private socket in `$XDG_RUNTIME_DIR/systemd/private`, from inside
 * the namespace or out of it. Pair every call with `stop()` in a finally block.
 */
export async function startUserManager(options: {
  runtimeDir: string;
  home: string;
  user?: string;
}): Promise<UserManager> {
  const user = options.user ?? TEST_USER;
  const { uid } = userIds(user);
  const name = `tether-test-manager-${Deno.pid}-${Date.now()}`;
  const cgroups = hierarchies().map((root) => join(root, name));
  if (cgroups.length === 0) throw new Error("no cgroup hierarchy under /sys/fs/cgroup");
  const env = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: options.home,
    XDG_RUNTIME_DIR: options.runtimeDir,
    XDG_CONFIG_HOME: join(options.home, ".config"),
  };
  const script = [
    "set -e",
    "mount -t tmpfs -o mode=0755 tmpfs /run/systemd",
    "mkdir /run/systemd/system",
    ...cgroups.map((dir) => `echo $$ > '${dir}/cgroup.procs'`),
    `exec runuser -u ${user} -- env -i ${
      Object.entries(env).map(([key, value]) => `'${key}=${value}'`).join(" ")
    } /usr/lib/systemd/systemd --user`,
  ].join("\n");
  for (const dir of cgroups) {
    Deno.mkdirSync(dir);
    chownSync(dir, uid, -1);
    for (const file of ["cgroup.procs", "cgroup.subtree_control", "tasks"]) {
      if (existsSync(join(dir, file))) chownSync(join(dir, file), uid, -1);
    }
  }
  const child: ChildProcess = spawn(
    "unshare",
    ["--mount", "--propagation", "private", "bash", "-c", script],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr!.on("data", (chunk) => (log = (log + chunk).slice(-4000)));
  const outerPid = child.pid!;
  const systemctl = (args: readonly string[]) =>
    runAsUser(user, ["systemctl", "--user", ...args], env, { timeoutMs: 20_000 });
  let managerPid = 0;
  const cleanUp = async () => {
    const pid = managerPid || outerPid;
    if (pidExists(pid)) {
      try {
        Deno.kill(pid, "SIGTERM");
        await waitForExit(pid, 10_000);
      } catch {
        // killed below
      }
    }
    for (const dir of cgroups) {
      for (const leftover of cgroupPids(dir)) {
        try {
          Deno.kill(leftover, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
    if (pidExists(outerPid)) {
      try {
        Deno.kill(outerPid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await waitFor(
      "the manager's cgroups to empty",
      () => cgroups.every((dir) => cgroupPids(dir).length === 0) ? true : undefined,
      10_000,
    );
    for (const dir of cgroups) removeCgroup(dir);
  };
  try {
    managerPid = await waitFor("systemd --user to start", () => {
      if (child.exitCode !== null) {
        throw new Error(`systemd --user exited ${child.exitCode}: ${log}`);
      }
      return childPidsOf(outerPid).find((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "systemd";
        } catch {
          return false;
        }
      });
    });
    await waitFor("the manager to finish starting up", async () => {
      if (!existsSync(join(options.runtimeDir, "systemd", "private"))) return undefined;
      const state = (await systemctl(["is-system-running"])).stdout.trim();
      // Outside the namespace systemctl reports "offline" (no /run/systemd/system) but
      // talks to the manager all the same; list-jobs is empty once start-up is done.
      const jobs = await systemctl(["list-jobs", "--no-legend"]);
      return jobs.code === 0 && jobs.stdout.trim() === "" ? state || "up" : undefined;
    }, 20_000);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return {
    pid: managerPid,
    systemctl,
    isActive: async (unit) => (await systemctl(["is-active", unit])).stdout.trim(),
    stop: cleanUp,
  };
}
