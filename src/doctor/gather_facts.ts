import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, lstat, readdir, readFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { delimiter, join } from "node:path";
import { loadConbusSettings } from "../conbus/conbus_config.ts";
import type { ConbusStatus } from "../conbus/conbus_status.ts";
import { conbusSocketPath } from "../conbus/daemon_client.ts";
import { resolveFocusSettings } from "../focus/focus_config.ts";
import { readRunningKittyVersion } from "../kitty/installed_version.ts";
import { defaultPasswordFile } from "../kitty/password_file.ts";
import { INCLUDE_FILE_NAME, INCLUDE_LINE } from "../kitty/setup.ts";
import { loadTetherConfig, tetherConfigPath } from "../platform/config.ts";
import { ConfigError } from "../platform/config_error.ts";
import { configHome, type Environment } from "../platform/paths.ts";
import { DEFAULT_PROC_ROOT, readComm, readEnviron } from "../platform/proc.ts";
import { GENERATED_MARKER, UNIT_NAMES } from "../platform/systemd_units.ts";
import { requestControl } from "../resilience/control_socket.ts";
import { parseDaemonStatus } from "../resilience/daemon_status.ts";
import { discoverSockets } from "../sockets/discovery.ts";
import { checkHealth } from "../sockets/health_check.ts";
import { verifyRuntimeDir } from "../platform/runtime_dir.ts";
import type { DoctorFacts, PathFacts } from "./facts.ts";

/** Options for {@link gatherDoctorFacts}. */
export interface GatherOptions {
  /** Environment (runtime dir, config home, compositor variables, PATH). */
  env: Environment;
  /** The user's uid. */
  uid: number;
  /** Deadline of each probe (sockets, systemctl, the bridge), ms. */
  timeoutMs: number;
  /** Where processes are listed. Default `/proc`. */
  procRoot?: string;
}

/**
 * Looks at the machine for `tether doctor`: the runtime dir, config.yml, kitty.conf and the
 * password file (its metadata only: the password is never read), every socket (probed in
 * parallel, each within `timeoutMs`), every kitty process and its version, tether's systemd
 * units (`systemctl --user is-active` when systemctl exists), and the Conbus bridge. Never
 * throws for a broken setup: what it finds broken is a fact for {@link decideChecks}.
 */
export async function gatherDoctorFacts(options: GatherOptions): Promise<DoctorFacts> {
  const { env, uid, timeoutMs } = options;
  const runtimeValue = env.XDG_RUNTIME_DIR;
  const runtimeFacts = runtimeValue ? await pathFacts(runtimeValue) : null;
  const config = await configFacts(env);
  const kittyDir = join(configHome(env), "kitty");
  const confPath = join(kittyDir, "kitty.conf");
  const conf = await readFile(confPath, "utf8").catch(() => null);
  const includePath = join(kittyDir, INCLUDE_FILE_NAME);
  const [sockets, kitties, systemd, conbus, passwordFacts, includeFacts] = await Promise.all([
    socketRows(env, uid, timeoutMs),
    kittyProcesses(uid, runtimeValue, options.procRoot ?? DEFAULT_PROC_ROOT),
    systemdFacts(env, timeoutMs),
    conbusFacts(env, timeoutMs),
    pathFacts(config.passwordFile),
    pathFacts(includePath),
  ]);
  return {
    uid,
    runtimeDir: { value: runtimeValue, facts: runtimeFacts },
    config: { path: config.path, exists: config.exists, problem: config.problem },
    kittyConfig: {
      confPath,
      confExists: conf !== null,
      hasInclude: conf?.split("\n").some((line) => line.trim() === INCLUDE_LINE) ?? false,
      includePath,
      includeExists: includeFacts !== null,
    },
    passwordFile: { path: config.passwordFile, facts: passwordFacts },
    sockets,
    compositorEnv: {
      ...(env.SWAYSOCK ? { SWAYSOCK: env.SWAYSOCK } : {}),
      ...(env.NIRI_SOCKET ? { NIRI_SOCKET: env.NIRI_SOCKET } : {}),
      ...(env.I3SOCK ? { I3SOCK: env.I3SOCK } : {}),
    },
    kitties,
    systemd,
    conbus,
  };
}

async function pathFacts(path: string): Promise<PathFacts | null> {
  try {
    const stats = await lstat(path);
    const type = stats.isDirectory()
      ? "directory"
      : stats.isFile()
      ? "file"
      : stats.isSocket()
      ? "socket"
      : stats.isSymbolicLink()
      ? "symlink"
      : "other";
    return { type, uid: stats.uid, mode: stats.mode & 0o7777, size: stats.size };
  } catch {
    return null;
  }
}

/** config.yml's validity (top level and `focus:`) and the password file focus would use. */
async function configFacts(env: Environment) {
  const path = tetherConfigPath(env);
  let exists = false;
  let problem: string | null = null;
  let passwordFile = defaultPasswordFile(env);
  try {
    const config = await loadTetherConfig(env);
    exists = config !== null;
    const settings = resolveFocusSettings({}, {
      env,
      section: config?.sections.focus ?? null,
      configPath: path,
    });
    passwordFile = settings.passwordFile ?? passwordFile;
  } catch (error) {
    exists = (await pathFacts(path)) !== null;
    if (!(error instanceof ConfigError)) throw error;
    problem = error.message;
  }
  return { path, exists, problem, passwordFile };
}

/** Every socket in the runtime dir, probed; null when the runtime dir is not usable. */
async function socketRows(env: Environment, uid: number, timeoutMs: number) {
  const dir = env.XDG_RUNTIME_DIR;
  if (!dir || !dir.startsWith("/")) return null;
  try {
    verifyRuntimeDir(dir, uid);
  } catch {
    return null;
  }
  const found = await discoverSockets({ runtimeDir: dir, env, uid });
  return await checkHealth(found.entries, { timeoutMs });
}

/**
 * Every process named `kitty` owned by `uid` in this session, with its declared version. A
 * kitty started with another `XDG_RUNTIME_DIR` (another login session), or none, keeps its
 * socket elsewhere (tether.conf's `listen_on` expands `${XDG_RUNTIME_DIR}` from kitty's own
 * environment), out of this session's reach: it is not this session's to check.
 */
async function kittyProcesses(uid: number, runtimeDir: string | undefined, procRoot: string) {
  const pids = (await readdir(procRoot).catch(() => [] as string[]))
    .filter((name) => /^\d+$/.test(name)).map(Number);
  const kitties: DoctorFacts["kitties"] = [];
  for (const pid of pids) {
    if ((await readComm(pid, procRoot)) !== "kitty") continue;
    const owner = await lstat(join(procRoot, String(pid))).then((stats) => stats.uid, () => null);
    if (owner !== uid) continue;
    const session = (await readEnviron(pid, procRoot))?.get("XDG_RUNTIME_DIR");
    if (session !== runtimeDir) continue;
    kitties.push({ pid, version: await readRunningKittyVersion(pid, procRoot) });
  }
  return kitties.sort((a, b) => a.pid - b.pid);
}

/** tether's units: files, marker, `.wants/` links, and `systemctl --user is-active`. */
async function systemdFacts(env: Environment, timeoutMs: number) {
  const systemctl = await findExecutable("systemctl", env.PATH);
  if (systemctl === null) return null;
  const unitDir = join(configHome(env), "systemd", "user");
  const wants = await readdir(unitDir, { withFileTypes: true })
    .then((entries) => entries.filter((entry) => /\.(wants|requires)$/.test(entry.name)))
    .catch(() => []);
  const active = await isActive(systemctl, [...UNIT_NAMES], env, timeoutMs);
  const units = [];
  for (const [index, name] of UNIT_NAMES.entries()) {
    const content = await readFile(join(unitDir, name), "utf8").catch(() => null);
    let enabled = false;
    for (const dir of wants) {
      if (await lstat(join(unitDir, dir.name, name)).then(() => true, () => false)) enabled = true;
    }
    units.push({
      name,
      installed: content !== null,
      ours: content?.startsWith(GENERATED_MARKER) ?? false,
      enabled,
      active: active.states?.[index] ?? null,
    });
  }
  return { unitDir, units, managerProblem: active.problem };
}

/** `systemctl --user is-active` prints one state per unit (and exits non-zero unless all are active). */
function isActive(
  systemctl: string,
  units: string[],
  env: Environment,
  timeoutMs: number,
): Promise<{ states: string[] | null; problem: string | null }> {
  return new Promise((resolve) => {
    execFile(
      systemctl,
      ["--user", "is-active", ...units],
      { env: env as NodeJS.ProcessEnv, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const states = String(stdout).split("\n").map((line) => line.trim()).filter(Boolean);
        if (states.length === units.length) resolve({ states, problem: null });
        else {
          const problem = String(stderr).split("\n")[0]?.trim() || (error?.message ?? "no answer");
          resolve({ states: null, problem });
        }
      },
    );
  });
}

async function findExecutable(name: string, path: string | undefined): Promise<string | null> {
  for (const dir of (path ?? "").split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return null;
}

/** The Conbus settings, a running `serve`, and (without one) a TCP connect to the bridge. */
async function conbusFacts(env: Environment, timeoutMs: number): Promise<DoctorFacts["conbus"]> {
  const socketPath = conbusSocketPath(env);
  const serve = socketPath === null ? null : await serveStatus(socketPath, timeoutMs);
  let endpoint: string | null = null;
  let host: string | null = null;
  let port = 0;
  try {
    const settings = await loadConbusSettings({}, { env });
    host = settings.host;
    port = settings.port;
    endpoint = host === null ? null : `${host.includes(":") ? `[${host}]` : host}:${port}`;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { problem: error.message, endpoint: null, serve, connect: null };
  }
  const connect = serve === null && host !== null ? await tcpConnect(host, port, timeoutMs) : null;
  return { problem: null, endpoint, serve, connect };
}

async function serveStatus(socketPath: string, timeoutMs: number) {
  try {
    const status = parseDaemonStatus(await requestControl(socketPath, "status", { timeoutMs }));
    const { connection } = status as ConbusStatus;
    return {
      pid: status.pid,
      status: connection.status,
      lastError: connection.last_error?.message ?? connection.error?.message ?? null,
    };
  } catch {
    return null;
  }
}

/** Connects and closes at once: the bridge serves one client, so the slot is held for microseconds. */
function tcpConnect(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{ latencyMs: number } | { error: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = createConnection({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ latencyMs: performance.now() - started });
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ error: error.code ?? error.message });
    });
  });
}
