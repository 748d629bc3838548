import type { Dirent } from "node:fs";
import { access, constants, lstat, mkdir, readdir, stat, unlink } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { ConfigError } from "../platform/config_error.ts";
import { configHome } from "../platform/paths.ts";
import { readFileSafely, writeFileSafely } from "../platform/safe_file.ts";
import {
  DEFAULT_UNIT_SETTINGS,
  I3_EXEC_LINES,
  isUnchangedGenerated,
  planInstall,
  renderUnits,
  SWAY_EXEC_LINES,
  UNIT_NAMES,
  type UnitCompositor,
} from "../platform/systemd_units.ts";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { modeFor } from "./output_mode.ts";

/** The systemctl commands to run after install; the sway lines follow them. */
const ENABLE_COMMANDS = [
  "systemctl --user daemon-reload",
  "systemctl --user enable --now tether-cleanup.timer",
  "systemctl --user enable --now tether-focus.service",
];
const DISABLE_COMMANDS = [
  "systemctl --user disable --now tether-cleanup.timer tether-focus.service",
  "systemctl --user daemon-reload",
] as const;

/** `tether systemd install`'s flags as commander parsed them (declared in systemd.ts). */
export interface SystemdInstallOptions {
  /**
   * Print the units and what would be written, write nothing.
   *
   * @default {false}
   */
  dryRun: boolean;
  /** Absolute path of the tether binary; absent: this executable (when it is tether's binary). */
  bin?: string;
  /**
   * Overwrite units that were edited by hand.
   *
   * @default {false}
   */
  force: boolean;
  /**
   * Which compositor the focus service follows: `auto`, `niri`, `sway` or `i3`.
   *
   * @default {"auto"}
   */
  compositor: string;
  /** App ids of kitty windows for the focus service; empty: DEFAULT_UNIT_SETTINGS.appIds. */
  appId: string[];
  /**
   * Points the focus service grows the focused kitty by, as typed.
   *
   * @default {"3"}
   */
  fontDelta: string;
  /**
   * How often the timer runs cleanup (a systemd time span).
   *
   * @default {"5min"}
   */
  cleanupInterval: string;
}

/** `tether systemd uninstall`'s flags as commander parsed them (declared in systemd.ts). */
export interface SystemdUninstallOptions {
  /**
   * Print what would be removed, remove nothing.
   *
   * @default {false}
   */
  dryRun: boolean;
  /**
   * Also remove units that no longer carry tether's marker or are still enabled.
   *
   * @default {false}
   */
  force: boolean;
}

/** Runs `tether systemd install`: loaded only when a systemd subcommand runs. */
export async function systemdInstallAction(
  context: CliContext,
  options: SystemdInstallOptions,
): Promise<void> {
  const binPath = await resolveBinary(options.bin);
  const dir = unitDir(context);
  const fontDeltaPt = /^\d+(\.\d+)?$/.test(options.fontDelta) ? Number(options.fontDelta) : NaN;
  const units = renderUnits(binPath, {
    compositor: options.compositor as UnitCompositor,
    appIds: options.appId.length > 0 ? options.appId : DEFAULT_UNIT_SETTINGS.appIds,
    fontDeltaPt,
    cleanupInterval: options.cleanupInterval,
  });
  const existing = new Map<string, string | null>();
  for (const unit of units) existing.set(unit.name, await readOrNull(join(dir, unit.name)));
  const plan = planInstall(units, existing, options.force);
  const conflicts = plan.filter((step) => step.action === "conflict");
  const json = modeFor(context, { stream: false }) === "json";
  if (conflicts.length > 0) {
    const names = conflicts.map((step) => join(dir, step.unit.name)).join(", ");
    context.logger().error(
      `${names} differ${
        conflicts.length === 1 ? "s" : ""
      } from tether's units; nothing written. Re-run with --force to overwrite`,
    );
  } else if (!options.dryRun) {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    for (const step of plan) {
      if (step.action === "create" || step.action === "replace") {
        // New temp file, fsync, rename: never through a symlink or into another's file.
        writeFileSafely(join(dir, step.unit.name), step.unit.content, { mode: 0o644 });
      }
    }
  }
  const report = {
    dry_run: options.dryRun,
    unit_dir: dir,
    bin: binPath,
    units: plan.map((step) => ({
      name: step.unit.name,
      unit_file: join(dir, step.unit.name),
      action: step.action,
    })),
    commands: ENABLE_COMMANDS,
    sway_config_lines: SWAY_EXEC_LINES,
    i3_config_lines: I3_EXEC_LINES,
  };
  if (json) {
    context.stdout(JSON.stringify(report) + "\n");
  } else {
    if (options.dryRun) {
      for (const unit of units) {
        context.stdout(`--- ${join(dir, unit.name)}\n${unit.content}\n`);
      }
    }
    const verb = (action: string) =>
      options.dryRun && action !== "unchanged" && action !== "conflict"
        ? `would ${action}`
        : action === "create"
        ? "created"
        : action === "replace"
        ? "replaced"
        : action;
    for (const unit of report.units) {
      context.stdout(`${verb(unit.action).padEnd(14)} ${unit.unit_file}\n`);
    }
    if (conflicts.length === 0) {
      context.stdout(
        `\nThen run:\n${ENABLE_COMMANDS.map((line) => `  ${line}\n`).join("")}` +
          sessionLines(options.compositor),
      );
    }
  }
  context.setExitCode(conflicts.length > 0 ? ExitCode.failed : ExitCode.ok);
}

/** Runs `tether systemd uninstall`: loaded only when a systemd subcommand runs. */
export async function systemdUninstallAction(
  context: CliContext,
  options: SystemdUninstallOptions,
): Promise<void> {
  const dir = unitDir(context);
  const links = await enablementLinks(dir);
  // Removing an enabled unit's file leaves its .wants/ link dangling and the unit running:
  // disabling first is the clean order.
  const stillEnabled = links.length > 0 && !options.force;
  const results: { name: string; unit_file: string; action: string }[] = [];
  for (const name of UNIT_NAMES) {
    const path = join(dir, name);
    const content = await readOrNull(path);
    let action: string;
    if (content === null) action = "absent";
    else if (!isUnchangedGenerated(content) && !options.force) action = "kept (changed)";
    else if (stillEnabled) action = "kept (enabled)";
    else {
      action = options.dryRun ? "would remove" : "removed";
      if (!options.dryRun) await unlink(path);
    }
    results.push({ name, unit_file: path, action });
  }
  const [disable, reload] = DISABLE_COMMANDS;
  if (modeFor(context, { stream: false }) === "json") {
    context.stdout(
      JSON.stringify({
        dry_run: options.dryRun,
        unit_dir: dir,
        enabled_links: links,
        units: results,
        commands: DISABLE_COMMANDS,
      }) +
        "\n",
    );
  } else {
    const lines = results.map((result) => `${result.action.padEnd(14)} ${result.unit_file}\n`);
    if (stillEnabled) {
      context.stdout(
        `${lines.join("")}First run:\n  ${disable}\nthen tether systemd uninstall again.\n`,
      );
    } else if (options.dryRun) {
      context.stdout(`First run:\n  ${disable}\n${lines.join("")}Then run:\n  ${reload}\n`);
    } else if (links.length > 0) {
      // --force while enabled: systemd still removes the dangling links on disable.
      context.stdout(`${lines.join("")}Now run:\n  ${disable}\n  ${reload}\n`);
    } else {
      context.stdout(`${lines.join("")}Then run:\n  ${reload}\n`);
    }
  }
  if (stillEnabled) {
    context.logger().error(
      `tether's units are still enabled (${
        links.join(", ")
      }); nothing removed. Run \`${disable}\` first, or pass --force`,
    );
  }
  const kept = results.some((result) => result.action === "kept (changed)");
  if (kept) {
    context.logger().warn(
      "some units were changed by hand and kept; use --force to remove them",
    );
  }
  context.setExitCode(kept || stillEnabled ? ExitCode.failed : ExitCode.ok);
}

/** What to add to the compositor's config so that it starts (and stops) the session. */
function sessionLines(compositor: string): string {
  const block = (name: string, lines: readonly string[]) =>
    `\n${name}: add these lines to ~/.config/${name}/config:\n` +
    lines.map((line) => `  ${line}\n`).join("");
  return (compositor === "auto" || compositor === "niri"
    ? "\nniri: nothing to add (niri's systemd integration starts graphical-session.target)\n"
    : "") +
    (compositor === "auto" || compositor === "sway" ? block("sway", SWAY_EXEC_LINES) : "") +
    (compositor === "auto" || compositor === "i3" ? block("i3", I3_EXEC_LINES) : "");
}

function unitDir(context: CliContext): string {
  return join(configHome(context.env), "systemd", "user");
}

/** `--bin`, else this executable when it is the compiled tether (not deno/bun/node). */
async function resolveBinary(flag: string | undefined): Promise<string> {
  let path: string;
  if (flag !== undefined) {
    if (!flag.startsWith("/")) {
      throw new ConfigError(`--bin must be an absolute path, got "${flag}"`);
    }
    path = resolve(flag);
  } else {
    path = process.execPath;
    if (/^(deno|bun|node)(\.exe)?$/.test(basename(path))) {
      throw new ConfigError(
        `tether runs under ${
          basename(path)
        }, not as its compiled binary; pass --bin /absolute/path/to/tether`,
      );
    }
  }
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isFile()) {
    throw new ConfigError(`--bin ${path} does not exist or is not a file`);
  }
  await access(path, constants.X_OK).catch(() => {
    throw new ConfigError(`--bin ${path} is not executable; chmod +x it`);
  });
  return path;
}

/**
 * The links `systemctl --user enable` made for tether's units (`<target>.wants/<unit>`, or
 * `.requires/`) in the unit directory: the units are enabled while any exists.
 */
async function enablementLinks(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new ConfigError(`cannot read ${dir}: ${(error as NodeJS.ErrnoException).code}`);
  }
  const links: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !/\.(wants|requires)$/.test(entry.name)) continue;
    for (const name of UNIT_NAMES) {
      const link = join(dir, entry.name, name);
      if (await lstat(link).then(() => true, () => false)) links.push(link);
    }
  }
  return links.sort();
}

/** An existing unit's text, or null: a regular file only, opened without blocking, ≤ 1 MiB. */
function readOrNull(path: string): Promise<string | null> {
  return Promise.resolve(
    readFileSafely(path, { maxBytes: 1024 * 1024, followSymlinks: true, label: "unit file" }),
  );
}
