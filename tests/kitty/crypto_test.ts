import assert from "node:assert/strict";
import { decodeBase85, encodeBase85 } from "../../src/kitty/base85.ts";
import { fontSizeChangeCommand } from "../../src/kitty/codec.ts";
import { encryptCommand, parseKittyPublicKey } from "../../src/kitty/crypto.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { decryptEnvelope } from "../support/kitty.ts";

async function kittyKeys(): Promise<{ privateKey: CryptoKey; publicRaw: Uint8Array }> {
  const pair = await crypto.subtle.generateKey({ name: "X25519" }, true, [
    "deriveBits",
  ]) as CryptoKeyPair;
  return {
    privateKey: pair.privateKey,
    publicRaw: new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)),
  };
}

/**
 * Known-answer vector from tests/kitty/crypto_vector.py (the `cryptography` package and Python's
 * base85, run by kitty's Python, where kitty's own parse_cmd decrypted the builder's envelope):
 * fixed kitty key, client key and IV. Independent of tether's code.
 */
const KNOWN_ANSWER = {
  "kitty_private_hex": "a8abababababababababababababababababababababababababababababab6b",
  "kitty_public_key": "1:<8dv88V+4~xG}}!O0p|Kp_msP;t9C8`pP4r9AZdW",
  "client_private_hex": "58c4c8b6b5e2a0f1d3c7e9b1a2f4d6e8c0b2a4f6e8d0c2b4a6f8e0d2c4b6a85f",
  "client_public_hex": "5ac7baace7ac547291bc4474c13d7eb7b179a64e52d033a80e5ccb95e353931e",
  "iv_hex": "000102030405060708090a0b",
  "password": "tether-known-answer-password",
  "timestamp_ns": "1763000000123456789",
  "plaintext":
    '{"cmd":"set-font-size","version":[0,26,0],"payload":{"size":3,"increment_op":"+","all":false},"password":"tether-known-answer-password","timestamp":1763000000123456789}',
  "envelope": {
    "version": [0, 26, 0],
    "iv": "009C61O)~M2nh-c",
    "tag": "k9+VBvC~>{^SnXto5i(f",
    "pubkey": "TF1Jq=d4t6k-S87!99Mrv3aIWQqVJ~4qVHX<5QC!",
    "encrypted":
      "#8+J7%I+dNYMDN<_1s<CN-YV*cQ6Co5cPES*RA`^0K8hOxm{+jjQi3!ZFI2G-EI5RT8=u{?Kjr89|$xalHb>_1#ledcXM$Pwu1AK^Kr+UQ;93roBD+}Eqkf741wvQWz;)Cd9r&*&eRMPlFk**HsRw9^CzNMdQ5ycbaW7mk%k{#ZE}!ik;|tb!rsb|N`Z+&mA7!d<8*V5hECV7XGUDT",
  },
} as const;

function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(hex.match(/../g)!.map((byte) => parseInt(byte, 16)));
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

Deno.test("encryptCommand with the vector's key pair and IV produces exactly the known envelope", async () => {
  const clientPublic = hexBytes(KNOWN_ANSWER.client_public_hex);
  const keyPair: CryptoKeyPair = {
    privateKey: await crypto.subtle.importKey(
      "jwk",
      {
        kty: "OKP",
        crv: "X25519",
        d: base64Url(hexBytes(KNOWN_ANSWER.client_private_hex)),
        x: base64Url(clientPublic),
      },
      { name: "X25519" },
      false,
      ["deriveBits"],
    ),
    publicKey: await crypto.subtle.importKey("raw", clientPublic, { name: "X25519" }, true, []),
  };
  const envelope = await encryptCommand(
    fontSizeChangeCommand(3),
    KNOWN_ANSWER.password,
    parseKittyPublicKey(KNOWN_ANSWER.kitty_public_key),
    { keyPair, iv: hexBytes(KNOWN_ANSWER.iv_hex), nowNs: BigInt(KNOWN_ANSWER.timestamp_ns) },
  );
  assert.deepEqual(envelope, KNOWN_ANSWER.envelope);
});

Deno.test("the known envelope opens with the vector's kitty key into tether's exact plaintext", async () => {
  const kittyPublic = parseKittyPublicKey(KNOWN_ANSWER.kitty_public_key);
  const kittyPrivate = await crypto.subtle.importKey(
    "jwk",
    {
      kty: "OKP",
      crv: "X25519",
      d: base64Url(hexBytes(KNOWN_ANSWER.kitty_private_hex)),
      x: base64Url(kittyPublic),
    },
    { name: "X25519" },
    false,
    ["deriveBits"],
  );
  assert.equal(
    await decryptEnvelope(KNOWN_ANSWER.envelope, kittyPrivate),
    KNOWN_ANSWER.plaintext,
  );
});

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
