import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { runInProcess } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";
import { waitFor } from "../support/wait.ts";

/** A bridge that sends terminal escapes (garbage and inside frames) as soon as serve connects. */
async function evilBridge(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    socket.write(Buffer.from("<E\x1b]0;pwned\x07\x9b2J>garbage\x1b[31m<E07L06I80MAE>", "latin1"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

for (const json of [false, true]) {
  Deno.test(`serve${json ? " --json" : ""}: bytes from the bridge never reach stdout as raw control characters`, async () => {
    await using rootDir = await tempDir("tether-serve-output-");
    const root = rootDir.path;
    const runtimeDir = join(root, "run");
    mkdirSync(runtimeDir, { mode: 0o700 });
    const bridge = await evilBridge();
    const stop = new AbortController();
    const escapedTitle = json ? /\\u001b\]0;pwned/ : /\\x1b\]0;pwned/;
    let stdout = "";
    try {
      const serving = runInProcess(
        [
          ...(json ? ["--json"] : []),
          "conbus",
          "serve",
          "--host",
          "127.0.0.1",
          "--port",
          String(bridge.port),
        ],
        {
          env: { PATH: process.env.PATH, HOME: join(root, "home"), XDG_RUNTIME_DIR: runtimeDir },
          signal: stop.signal,
          // Human lines on a terminal; JSON lines with --json (the output rule).
          tty: !json,
          onStdout: (text) => void (stdout += text),
        },
      );
      await waitFor(
        "both bridge telegrams on stdout",
        () => /E07L06I80M/.test(stdout) && escapedTitle.test(stdout),
      );
      stop.abort();
      const result = await serving;
      assert.match(result.stdout, /E07L06I80M/, result.stdout + result.stderr);
      // deno-lint-ignore no-control-regex -- looking for raw control characters
      assert.doesNotMatch(result.stdout, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
      assert.match(result.stdout, escapedTitle);
    } finally {
      await bridge.close();
    }
  });
}
