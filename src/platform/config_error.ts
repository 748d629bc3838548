/**
 * A usage or configuration problem the user must fix (bad flag value, malformed config file,
 * missing environment variable). The CLI prints its message as one line and exits 2.
 *
 * @example
 * ```ts
 * throw new ConfigError("XDG_RUNTIME_DIR is not set; log in through a session manager or export it");
 * ```
 */
export class ConfigError extends Error {
  override name = "ConfigError";
}
