import assert from "node:assert/strict";
import { decodeBase85, encodeBase85 } from "../../src/kitty/base85.ts";
import { fontSizeChangeCommand } from "../../src/kitty/codec.ts";
import { decryptEnvelope, encryptCommand, parseKittyPublicKey } from "../../src/kitty/crypto.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";

async function kittyKeys(): Promise<{ privateKey: CryptoKey; publicRaw: Uint8Array }> {
  const pair = await crypto.subtle.generateKey({ name: "X25519" }, true, [
    "deriveBits",
  ]) as CryptoKeyPair;
  return {
    privateKey: pair.privateKey,
    publicRaw: new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)),
  };
}

Deno.test("parseKittyPublicKey decodes 1:<base85> into 32 bytes", () => {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  assert.deepEqual(parseKittyPublicKey("1:" + encodeBase85(raw)), raw);
});

Deno.test("parseKittyPublicKey rejects other formats as not_configured", () => {
  for (const value of ["", "2:abc", "1:VE", "1:" + encodeBase85(new Uint8Array(31)), '1:"""""']) {
    assert.throws(
      () => parseKittyPublicKey(value),
      (error: unknown) => error instanceof ConnectionError && error.category === "not_configured",
      value,
    );
  }
});

Deno.test("encryptCommand builds kitty's envelope: version, 12-byte iv, 16-byte tag, 32-byte pubkey", async () => {
  const kitty = await kittyKeys();
  const envelope = await encryptCommand(fontSizeChangeCommand(3), "pw", kitty.publicRaw);
  assert.deepEqual(Object.keys(envelope).sort(), ["encrypted", "iv", "pubkey", "tag", "version"]);
  assert.deepEqual(envelope.version, [0, 26, 0]);
  assert.equal(decodeBase85(envelope.iv).length, 12);
  assert.equal(decodeBase85(envelope.tag).length, 16);
  assert.equal(decodeBase85(envelope.pubkey).length, 32);
});

Deno.test("kitty's side decrypts the command with password and integer ns timestamp", async () => {
  const kitty = await kittyKeys();
  const envelope = await encryptCommand(fontSizeChangeCommand(-2), "s3cret", kitty.publicRaw, {
    nowNs: 1_763_000_000_123_456_789n,
  });
  const inner = await decryptEnvelope(envelope, kitty.privateKey);
  assert.match(inner, /"timestamp":1763000000123456789}$/);
  assert.deepEqual(JSON.parse(inner), {
    cmd: "set-font-size",
    version: [0, 26, 0],
    payload: { size: 2, increment_op: "-", all: false },
    password: "s3cret",
    timestamp: 1763000000123456789,
  });
});

Deno.test("the password is not in the envelope in clear", async () => {
  const kitty = await kittyKeys();
  const password = "find-me-if-you-can-0123456789";
  const envelope = await encryptCommand(fontSizeChangeCommand(1), password, kitty.publicRaw);
  assert.ok(!JSON.stringify(envelope).includes(password));
});

Deno.test("each command uses a fresh IV and ephemeral key", async () => {
  const kitty = await kittyKeys();
  const a = await encryptCommand(fontSizeChangeCommand(1), "pw", kitty.publicRaw);
  const b = await encryptCommand(fontSizeChangeCommand(1), "pw", kitty.publicRaw);
  assert.notEqual(a.iv, b.iv);
  assert.notEqual(a.pubkey, b.pubkey);
});

Deno.test("decryption with another key fails (kitty drops such a command)", async () => {
  const kitty = await kittyKeys();
  const other = await kittyKeys();
  const envelope = await encryptCommand(fontSizeChangeCommand(1), "pw", kitty.publicRaw);
  await assert.rejects(decryptEnvelope(envelope, other.privateKey));
});
