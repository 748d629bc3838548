/**
 * tether's exit-code convention, shared by every subcommand:
 * 0 success / all healthy, 1 operation failed / something unhealthy, 2 usage or configuration error.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];
