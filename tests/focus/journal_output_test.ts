/**
 * Under systemd `tether focus`'s stdout is the journal: its JSON lines (one per focus change)
 * become debug log lines there instead, shown only with `--log-level debug`. The process runs
 * with stdout on a file whose device and inode `JOURNAL_STREAM` names, as systemd sets it.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeNiri } from "../fakes/niri_server.ts";
import { tetherCommand } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";
import { sleep, waitFor } from "../support/wait.ts";

async function focusWithJournalStdout(
  logLevel: string,
  stdoutFile: string | null,
): Promise<{ stdout: string; stderr: string }> {
  await using rootDir = await tempDir("tether-journal-out-");
  const root = rootDir.path;
  const niri = await startFakeNiri({ path: join(root, "niri.wayland-1.4242.sock"), windows: [] });
  const out = stdoutFile ?? join(root, "stdout");
  try {
    const command = [...tetherCommand(), "--log-level", logLevel, "focus", "--compositor", "niri"]
      .map((word) => `'${word}'`).join(" ");
    // The journal stream is stdout itself when stdoutFile is null; else another file.
    writeFileSync(join(root, "stdout"), "");
    writeFileSync(out, "", { flag: "a" });
    const stream = statSync(out, { bigint: true });
    const script = `exec ${command} >> '${root}/stdout'`;
    const child = spawn("bash", ["-c", script], {
      env: {
        ...process.env,
        HOME: root,
        XDG_RUNTIME_DIR: root,
        NIRI_SOCKET: niri.path,
        NO_COLOR: "1",
        JOURNAL_STREAM: `${stream.dev}:${stream.ino}`,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    // Wait for the connection's line, wherever it goes.
    await waitFor(
      () => `the connection line; stderr: ${stderr}`,
      () =>
        readFileSync(join(root, "stdout"), "utf8").includes("connected") ||
        stderr.includes("connected"),
      20_000,
      50,
    );
    await sleep(300); // time for any line that should not be there
    process.kill(child.pid!, "SIGTERM");
    await exited;
    return { stdout: readFileSync(join(root, "stdout"), "utf8"), stderr };
  } finally {
    await niri.close();
  }
}

Deno.test("focus with stdout on the journal: JSON lines become <7> debug lines, stdout stays empty", async () => {
  const result = await focusWithJournalStdout("debug", null);
  assert.equal(result.stdout, "");
  assert.match(
    result.stderr,
    /^<7>\{"ts":"[^"]+","event":"status_changed","compositor":"niri".*"to":"connected"/m,
  );
});

Deno.test("focus with stdout on the journal and the default level: no line per event at all", async () => {
  const result = await focusWithJournalStdout("info", null);
  assert.equal(result.stdout, "");
  assert.doesNotMatch(result.stderr, /"event":/);
  assert.match(result.stderr, /^<6>niri: connected to /m);
});

Deno.test("focus whose stdout is not the journal stream (inherited variable) prints JSON lines", async () => {
  const other = join(mkdtempSync(join(tmpdir(), "tether-journal-other-")), "journal");
  try {
    const result = await focusWithJournalStdout("info", other);
    assert.match(result.stdout, /"event":"status_changed","compositor":"niri"/);
  } finally {
    rmSync(join(other, ".."), { recursive: true, force: true });
  }
});
