import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";

/** The parts of `process.stdout` the guard uses. */
export interface WritableOut {
  /** Writes text or bytes; may throw (a file on a full disk) or report the error later. */
  write(text: string | Uint8Array, callback?: (error?: Error | null) => void): boolean;
  /** Registers the stream's `error` listener. */
  on(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * Makes a write error on stdout behave the same for every command: EPIPE (the reader went
 * away: `tether … | head -1`) is quiet and keeps the command's exit code; any other error
 * (ENOSPC: `tether … >/dev/full`) is one line on stderr and exit 1. After the first error
 * nothing more is written, and `onBroken` lets a long-running command stop.
 *
 * @example
 * ```ts
 * const out = new StdoutGuard(process.stdout, { stderr: (t) => process.stderr.write(t), onBroken: () => {} });
 * out.write("hello\n");
 * process.exit(await out.finish(0));
 * ```
 */
export class StdoutGuard {
  readonly #stream: WritableOut;
  readonly #stderr: (text: string) => void;
  readonly #onBroken: () => void;
  #failure: "none" | "closed" | "failed" = "none";

  constructor(
    stream: WritableOut,
    options: { stderr: (text: string) => void; onBroken: () => void },
  ) {
    this.#stream = stream;
    this.#stderr = options.stderr;
    this.#onBroken = options.onBroken;
    stream.on("error", (error) => this.#fail(error));
  }

  /** Writes unless stdout already failed; a synchronous failure is handled like a late one. */
  write(text: string): void {
    if (this.#failure !== "none") return;
    try {
      this.#stream.write(text, (error) => {
        if (error) this.#fail(error);
      });
    } catch (error) {
      this.#fail(error as Error);
    }
  }

  /**
   * Waits until everything written has been flushed (or failed) and returns the exit code:
   * the command's own, or 1 when a write failed with anything but EPIPE.
   */
  async finish(commandExitCode: ExitCodeValue): Promise<ExitCodeValue> {
    if (this.#failure === "none") {
      await new Promise<void>((resolve) => {
        try {
          this.#stream.write("", (error) => {
            if (error) this.#fail(error);
            resolve();
          });
        } catch (error) {
          this.#fail(error as Error);
          resolve();
        }
      });
    }
    return this.#failure === "failed" ? ExitCode.failed : commandExitCode;
  }

  #fail(error: Error): void {
    if (this.#failure !== "none") return;
    const code = (error as { code?: string }).code;
    if (code === "EPIPE") {
      this.#failure = "closed";
    } else {
      this.#failure = "failed";
      const reason = code === "ENOSPC" ? "no space left on device" : error.message;
      this.#stderr(`tether: cannot write to stdout: ${reason}${code ? ` (${code})` : ""}\n`);
    }
    this.#onBroken();
  }
}
