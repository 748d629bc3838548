import { isAbsolute } from "node:path";
import { setupKitty } from "../kitty/setup.ts";
import { ConfigError } from "../platform/config_error.ts";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { modeFor } from "./output_mode.ts";

/** `tether kitty setup`'s flags as commander parsed them (declared in kitty.ts). */
export interface KittySetupOptions {
  /**
   * Replace an existing password file with a new password.
   *
   * @default {false}
   */
  force: boolean;
  /** Where to keep the password, an absolute path; absent: `~/.config/kitty/rc.password`. */
  passwordFile?: string;
}

/** Runs `tether kitty setup`: loaded only when that subcommand runs. */
export async function kittySetupAction(
  context: CliContext,
  options: KittySetupOptions,
): Promise<void> {
  if (options.passwordFile !== undefined && !isAbsolute(options.passwordFile)) {
    throw new ConfigError(
      `--password-file must be an absolute path, got "${options.passwordFile}"`,
    );
  }
  let report;
  try {
    report = await setupKitty({
      env: context.env,
      force: options.force,
      passwordFile: options.passwordFile,
    });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as { code?: string }).code;
    throw new ConfigError(
      `kitty setup failed: ${error instanceof Error ? error.message : String(error)}` +
        (code === "EACCES" ? " (permission denied)" : ""),
    );
  }
  if (modeFor(context, { stream: false }) === "json") {
    context.stdout(JSON.stringify(report) + "\n");
  } else {
    const passwordNote = report.password === "kept"
      ? "kept (existing; --force makes a new one)"
      : `${report.password}, mode 0600`;
    context.stdout(
      [
        `password   ${report.password_file} (${passwordNote})`,
        `include    ${report.include_file} (written, mode 0600)`,
        `socket dir ${report.socket_dir} (${report.socket_dir_created ? "created" : "exists"}; ` +
        `recreated at login by ${report.tmpfiles_file})`,
        "",
        report.already_included
          ? `${report.kitty_conf} already has "${report.include_line}"; restart kitty to apply.`
          : `Add this line at the end of ${report.kitty_conf}, then restart kitty:`,
        ...(report.already_included ? [] : [`    ${report.include_line}`]),
        "",
      ].join("\n"),
    );
  }
  context.setExitCode(ExitCode.ok);
}
