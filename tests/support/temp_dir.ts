/**
 * Temporary directories that remove themselves: `await using dir = await tempDir("tether-x-")`
 * instead of a try/finally with `rm` in every test, so a test cannot forget the cleanup or run
 * it before its servers are closed (disposal runs when the enclosing block ends, after its
 * `finally` clauses).
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A directory under the system temp dir, removed with everything in it on disposal. */
export interface TempDir extends AsyncDisposable {
  /** Absolute path of the directory. */
  readonly path: string;
}

/**
 * Creates `<tmpdir>/<prefix>XXXXXX` (mode 0700 unless `mode` says otherwise, as a runtime dir
 * wants). Removal ignores a directory the test already removed.
 *
 * @example
 * ```ts
 * await using rt = await tempDir("tether-cleanup-");
 * writeFileSync(join(rt.path, "stale.sock"), "");
 * ```
 */
export async function tempDir(prefix: string, mode = 0o700): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  await chmod(path, mode);
  return {
    path,
    [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }),
  };
}
