/**
 * A fake `/proc` for kitty tests: per PID a `stat` (start time), a `maps` naming kitty's core
 * module, the installation's `constants.py` under `<pid>/root/`, and children whose `environ`
 * carries `KITTY_PUBLIC_KEY`. Everything lives in one temp directory removed by `cleanup()`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** One fake process. */
export interface FakeProcess {
  pid: number;
  /** Start time relative to boot, in clock ticks (1/100 s). Default 100. */
  startTicks?: number;
  /**
   * The kitty installation this process mapped: the `kitty` package directory as the process
   * sees it (e.g. `/usr/lib/kitty/kitty`), and the `constants.py` text found there (null = the
   * file is missing). Omitted: a process that maps no kitty core.
   */
  kitty?: { packageDir: string; constantsPy: string | null; deleted?: boolean };
  /** Child processes: their PIDs and environments. */
  children?: { pid: number; environ: Record<string, string> }[];
}

/** A fake proc root. */
export interface FakeProc {
  /** Pass as `procRoot`. */
  root: string;
  /** Writes (or rewrites) a process. */
  setProcess(process: FakeProcess): void;
  /** Removes everything. */
  cleanup(): void;
}

/**
 * Creates a fake proc root whose boot time is `bootTimeSeconds` (default: one hour from now, so
 * every fake process started after any file the test writes).
 */
export function createFakeProc(
  bootTimeSeconds = Math.floor(Date.now() / 1000) + 3600,
): FakeProc {
  const root = mkdtempSync(join(tmpdir(), "fake-proc-"));
  writeFileSync(join(root, "stat"), `cpu  1 2 3 4\nbtime ${bootTimeSeconds}\nprocesses 10\n`);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };
  const statLine = (pid: number, ticks: number) =>
    `${pid} (kitty) S 1 ${pid} ${pid} 0 -1 4194560 ${"0 ".repeat(12)}${ticks} 1 1\n`;
  return {
    root,
    setProcess(process) {
      const dir = join(root, String(process.pid));
      rmSync(dir, { recursive: true, force: true });
      write(join(dir, "stat"), statLine(process.pid, process.startTicks ?? 100));
      const kitty = process.kitty;
      const core = kitty
        ? `7f3c2a000000-7f3c2a100000 r-xp 00010000 08:01 4242   ${kitty.packageDir}/fast_data_types.so${
          kitty.deleted ? " (deleted)" : ""
        }\n`
        : "";
      write(
        join(dir, "maps"),
        "55d0c0000000-55d0c0010000 r--p 00000000 08:01 1000   /usr/bin/kitty\n" + core +
          "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0      [stack]\n",
      );
      if (kitty && kitty.constantsPy !== null) {
        write(join(dir, "root", kitty.packageDir, "constants.py"), kitty.constantsPy);
      }
      const children = process.children ?? [];
      write(
        join(dir, "task", String(process.pid), "children"),
        children.map((child) => `${child.pid} `).join(""),
      );
      for (const child of children) {
        const environ = Object.entries(child.environ).map(([key, value]) => `${key}=${value}\0`);
        write(join(root, String(child.pid), "environ"), environ.join(""));
        write(join(root, String(child.pid), "stat"), statLine(child.pid, 200));
      }
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** kitty's `constants.py` opening lines as kitty 0.20+ writes them. */
export function constantsPy(version: readonly [number, number, number]): string {
  return [
    "#!/usr/bin/env python",
    "# License: GPLv3 Copyright: 2016, Kovid Goyal <kovid at kovidgoyal.net>",
    "",
    "class Version(NamedTuple):",
    "    major: int",
    "    minor: int",
    "    patch: int",
    "",
    "",
    "appname: str = 'kitty'",
    "kitty_face = '🐱'",
    `version: Version = Version(${version.join(", ")})`,
    "str_version: str = '.'.join(map(str, version))",
    "",
  ].join("\n");
}
