import assert from "node:assert/strict";
import { chmodSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { renderUnits } from "../../src/platform/systemd_units.ts";
import { runInProcess } from "../support/cli.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";
import { type TempDir, tempDir } from "../support/temp_dir.ts";

const UID = process.getuid!();

/** A runtime dir with one stale sway socket; removed on disposal. */
async function runtimeWithStale(): Promise<TempDir & { rt: string; stale: string }> {
  const dir = await tempDir("tether-cli-cleanup-");
  const stale = join(dir.path, `sway-ipc.${UID}.4194305.sock`);
  await createStaleSockets([stale]);
  return Object.assign(dir, { rt: dir.path, stale });
}

function assertOneLineUsageError(result: { code: number; stderr: string; stdout: string }) {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
  assert.equal(result.stdout, "");
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

Deno.test("cleanup removes a stale socket, logs one line, exit 0", async () => {
  await using runtime = await runtimeWithStale();
  const { rt, stale } = runtime;
  const result = await runInProcess(["--log-level", "info", "cleanup"], {
    env: { XDG_RUNTIME_DIR: rt },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(existsSync(stale), false);
  assert.match(result.stdout, /^removed .*sway-ipc/m);
  assert.match(result.stdout, /1 removed, 0 kept, 0 failed/);
  assert.deepEqual(result.stderr.trim().split("\n"), [
    `tether: info: removed stale sway socket ${stale}`,
  ]);
});

Deno.test("under systemd the removal log line carries a journal priority", async () => {
  await using runtime = await runtimeWithStale();
  const { rt, stale } = runtime;
  const result = await runInProcess(["--log-level", "info", "cleanup"], {
    env: { XDG_RUNTIME_DIR: rt, JOURNAL_STREAM: "8:1234" },
  });
  assert.equal(result.stderr, `<6>removed stale sway socket ${stale}\n`);
});

Deno.test("run as the generated unit runs it, a removal is one journal line at info", async () => {
  await using runtime = await runtimeWithStale();
  const { rt, stale } = runtime;
  const [service] = renderUnits("/usr/local/bin/tether");
  const unitEnv = Object.fromEntries(
    [...service!.content.matchAll(/^Environment=(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  const args = service!.content.match(/^ExecStart=\S+ (.*)$/m)![1]!.split(" ");
  const result = await runInProcess(args, {
    env: { ...unitEnv, XDG_RUNTIME_DIR: rt, JOURNAL_STREAM: "8:1234" },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(existsSync(stale), false);
  assert.equal(result.stderr, `<6>removed stale sway socket ${stale}\n`);
});

Deno.test("cleanup with nothing stale exits 0; --json has removed and kept", async () => {
  await using rtDir = await tempDir("tether-cli-cleanup-");
  const rt = rtDir.path;
  const result = await runInProcess(["--json", "cleanup"], { env: { XDG_RUNTIME_DIR: rt } });
  assert.equal(result.code, 0);
  assert.deepEqual(JSON.parse(result.stdout), {
    dry_run: false,
    removed: [],
    kept: [],
    failed: [],
  });
});

Deno.test("cleanup with only live sockets prints nothing; --verbose lists the kept ones; --json unchanged", async () => {
  await using rtDir = await tempDir("tether-cli-cleanup-");
  const rt = rtDir.path;
  const live = join(rt, `sway-ipc.${UID}.${process.pid}.sock`);
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(live, resolve));
  try {
    const quiet = await runInProcess(["cleanup"], { env: { XDG_RUNTIME_DIR: rt } });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stdout, "", "nothing removed, nothing failed: nothing printed");
    assert.equal(quiet.stderr, "");
    const verbose = await runInProcess(["cleanup", "--verbose"], { env: { XDG_RUNTIME_DIR: rt } });
    assert.equal(verbose.code, 0);
    assert.match(verbose.stdout, new RegExp(`^kept    ${live}: `, "m"));
    assert.match(verbose.stdout, /0 removed, 1 kept, 0 failed\n$/);
    const json = await runInProcess(["--json", "cleanup"], { env: { XDG_RUNTIME_DIR: rt } });
    assert.deepEqual(
      JSON.parse(json.stdout).kept.map((kept: { socket_path: string }) => kept.socket_path),
      [
        live,
      ],
    );
    assert.equal(existsSync(live), true);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

Deno.test("cleanup --dry-run --json lists the stale socket and keeps it", async () => {
  await using runtime = await runtimeWithStale();
  const { rt, stale } = runtime;
  const result = await runInProcess(["--json", "cleanup", "--dry-run"], {
    env: { XDG_RUNTIME_DIR: rt },
  });
  assert.equal(result.code, 0);
  assert.deepEqual(JSON.parse(result.stdout).removed, [stale]);
  assert.equal(existsSync(stale), true);
});

Deno.test("bad XDG_RUNTIME_DIR (missing, relative, wrong mode): one line, exit 2, nothing deleted", async () => {
  await using runtime = await runtimeWithStale();
  const { rt, stale } = runtime;
  assertOneLineUsageError(await runInProcess(["cleanup"], { env: {} }));
  assertOneLineUsageError(
    await runInProcess(["cleanup"], { env: { XDG_RUNTIME_DIR: "run/user/0" } }),
  );
  chmodSync(rt, 0o755);
  const wrongMode = await runInProcess(["cleanup"], { env: { XDG_RUNTIME_DIR: rt } });
  assertOneLineUsageError(wrongMode);
  assert.match(wrongMode.stderr, /must be 0700/);
  assert.equal(existsSync(stale), true);
});

Deno.test("a bad --timeout is one line, exit 2", async () => {
  await using runtime = await runtimeWithStale();
  const { rt, stale } = runtime;
  for (const value of ["0", "-1", "abc", "61"]) {
    assertOneLineUsageError(
      await runInProcess(["cleanup", "--timeout", value], { env: { XDG_RUNTIME_DIR: rt } }),
    );
  }
  assert.equal(existsSync(stale), true);
});
