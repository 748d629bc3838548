import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KittyConnection } from "../../src/kitty/client.ts";
import { encryptCommand, parseKittyPublicKey } from "../../src/kitty/crypto.ts";
import { KittyRegistry } from "../../src/kitty/registry.ts";
import {
  generatePassword,
  renderKittyInclude,
  setupKitty,
  TMPFILES_LINE,
} from "../../src/kitty/setup.ts";
import { startKitty } from "../support/kitty.ts";
import { startXvfb } from "../support/xvfb.ts";
import { forEachPeerSet } from "../support/peer_set.ts";

/** One `set-font-size` on kitty's active OS window (no `ls`, no reset). */
const ACTIVE = { allowReset: false };

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "tether-kitty-setup-"));
  const env = { HOME: join(root, "home"), XDG_RUNTIME_DIR: join(root, "run") };
  return { root, env, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

Deno.test("generatePassword: 48 letters and digits, different each time", () => {
  const a = generatePassword();
  assert.match(a, /^[A-Za-z0-9]{48}$/);
  assert.notEqual(a, generatePassword());
});

Deno.test("renderKittyInclude limits the password to tether's commands and sets listen_on", () => {
  const text = renderKittyInclude("abc123");
  assert.match(text, /^allow_remote_control password$/m);
  assert.match(text, /^remote_control_password "abc123" set-font-size action ls$/m);
  assert.match(text, /^listen_on unix:\$\{XDG_RUNTIME_DIR\}\/kitty\/kitty-\{kitty_pid\}\.sock$/m);
  assert.throws(() => renderKittyInclude('a"b'), RangeError);
});

Deno.test("setupKitty writes the tmpfiles entry and tightens a loose existing password file", async () => {
  const box = sandbox();
  try {
    await setupKitty({ env: box.env });
    const passwordFile = join(box.env.HOME, ".config", "kitty", "rc.password");
    chmodSync(passwordFile, 0o644);
    const report = await setupKitty({ env: box.env });
    assert.equal(report.password, "kept");
    assert.equal(statSync(passwordFile).mode & 0o777, 0o600);
    assert.match(readFileSync(report.tmpfiles_file, "utf8"), new RegExp(`^${TMPFILES_LINE}$`, "m"));
  } finally {
    box.cleanup();
  }
});

forEachPeerSet((set) =>
  Deno.test({
    name: `a real kitty started with kitty.conf including the generated tether.conf is ready ${
      set.label("kitty")
    }`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const box = sandbox();
      const x = await startXvfb(set);
      try {
        const report = await setupKitty({ env: box.env });
        const kittyDir = join(box.env.HOME, ".config", "kitty");
        writeFileSync(report.kitty_conf, `font_size 11\n${report.include_line}\n`);
        const password = readFileSync(report.password_file, "utf8").trim();
        const kitty = await startKitty(x, {
          peers: set,
          configFile: report.kitty_conf,
          runtimeDir: box.env.XDG_RUNTIME_DIR,
          remoteControl: { mode: "password", password },
          env: { KITTY_CONFIG_DIRECTORY: kittyDir },
        });
        const registry = new KittyRegistry({ env: box.env, socketTimeoutMs: 5000 });
        try {
          const before = await kitty.windowSize();
          const result = await registry.changeOsWindowFontSize(kitty.pid, null, 2, ACTIVE);
          assert.equal(result.status, "success", result.error ?? "");
          assert.ok((await kitty.windowSize()).columns < before.columns);
          assert.equal(registry.snapshot()[0]!.mode, "password");
          assert.equal(
            (await registry.changeOsWindowFontSize(kitty.pid, null, -2, ACTIVE)).status,
            "success",
          );
          // Commands outside the generated allow-list are refused.
          const key = parseKittyPublicKey(await kitty.publicKey());
          const connection = await KittyConnection.open(kitty.socketPath);
          try {
            const reply = await connection.request(
              await encryptCommand({ cmd: "get-colors", version: [0, 26, 0] }, password, key),
              { timeoutMs: 5000 },
            );
            assert.match(reply.error ?? "", /disallowed by remote_control_password/);
          } finally {
            await connection.close();
          }
        } finally {
          await registry.close();
          await kitty.stop();
        }
      } finally {
        await x.stop();
        box.cleanup();
      }
    },
  })
);

Deno.test("setupKitty never writes or chmods through a symlinked rc.password, with or without --force", async () => {
  const box = sandbox();
  try {
    const kittyDir = join(box.env.HOME, ".config", "kitty");
    mkdirSync(kittyDir, { recursive: true });
    const target = join(box.root, "victim");
    writeFileSync(target, "victim's\n", { mode: 0o644 });
    chmodSync(target, 0o644);
    symlinkSync(target, join(kittyDir, "rc.password"));
    for (const force of [false, true]) {
      await assert.rejects(setupKitty({ env: box.env, force }), /symlink/);
      assert.equal(readFileSync(target, "utf8"), "victim's\n", `force ${force}`);
      assert.equal(statSync(target).mode & 0o777, 0o644, `force ${force}`);
    }
  } finally {
    box.cleanup();
  }
});

Deno.test("setupKitty refuses a --password-file someone else owns, before writing into it", async () => {
  const box = sandbox();
  try {
    const foreign = join(box.root, "theirs");
    writeFileSync(foreign, "", { mode: 0o666 });
    chmodSync(foreign, 0o666);
    chownSync(foreign, 1500, 1500);
    for (const force of [false, true]) {
      await assert.rejects(
        setupKitty({ env: box.env, passwordFile: foreign, force }),
        /owned by uid 1500/,
      );
      assert.equal(readFileSync(foreign, "utf8"), "");
    }
  } finally {
    box.cleanup();
  }
});

Deno.test("a reader holding tether.conf open from before never sees the new password", async () => {
  const box = sandbox();
  try {
    const report = await setupKitty({ env: box.env });
    chmodSync(report.include_file, 0o644);
    const before = readFileSync(report.include_file, "utf8");
    const fd = openSync(report.include_file, "r");
    try {
      await setupKitty({ env: box.env, force: true });
      const buffer = new Uint8Array(4096);
      const seen = new TextDecoder().decode(buffer.subarray(0, readSync(fd, buffer)));
      assert.equal(seen, before);
      assert.notEqual(readFileSync(report.include_file, "utf8"), before);
      assert.equal(statSync(report.include_file).mode & 0o777, 0o600);
    } finally {
      closeSync(fd);
    }
  } finally {
    box.cleanup();
  }
});
