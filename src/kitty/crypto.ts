import { ConnectionError } from "../resilience/errors.ts";
import { decodeBase85, encodeBase85 } from "./base85.ts";
import { KITTY_PROTOCOL_VERSION, type KittyCommand, toAsciiJson } from "./codec.ts";

/** The only key format kitty publishes: `1:<RFC 1924 base85 of the 32-byte X25519 key>`. */
const PUBLIC_KEY_PREFIX = "1:";

/** The envelope kitty decrypts (enc_proto "1", which is implied when the field is absent). */
export interface EncryptedEnvelope {
  /** Outer protocol version: kitty requires one on the envelope too. */
  version: readonly number[];
  /** Base85 of the 12-byte AES-GCM IV. */
  iv: string;
  /** Base85 of the 16-byte AES-GCM tag. */
  tag: string;
  /** Base85 of the client's ephemeral 32-byte X25519 public key. */
  pubkey: string;
  /** Base85 of the ciphertext (without the tag). */
  encrypted: string;
}

/**
 * Parses `KITTY_PUBLIC_KEY` (`1:<base85>`) into the raw 32-byte X25519 key. Anything else is
 * `not_configured`: tether cannot talk to that kitty in password mode.
 *
 * @example
 * ```ts
 * parseKittyPublicKey("1:" + encodeBase85(new Uint8Array(32))).length; // 32
 * ```
 */
export function parseKittyPublicKey(value: string): Uint8Array {
  if (!value.startsWith(PUBLIC_KEY_PREFIX)) {
    throw new ConnectionError(
      "not_configured",
      `KITTY_PUBLIC_KEY has an unknown format (expected "1:<base85>")`,
    );
  }
  let raw: Uint8Array;
  try {
    raw = decodeBase85(value.slice(PUBLIC_KEY_PREFIX.length));
  } catch {
    raw = new Uint8Array(0);
  }
  if (raw.length !== 32) {
    throw new ConnectionError("not_configured", "KITTY_PUBLIC_KEY is not a 32-byte X25519 key");
  }
  return raw;
}

/** Inputs to {@link encryptCommand} that tests pin down; production leaves them to defaults. */
export interface EncryptOptions {
  /** Current time in nanoseconds since the epoch (default: from `Date.now()`). kitty allows ±5 min. */
  nowNs?: bigint;
  /** The 12-byte IV (default: random). */
  iv?: Uint8Array;
  /** The client key pair (default: a fresh ephemeral X25519 pair per command). */
  keyPair?: CryptoKeyPair;
}

/**
 * Encrypts a command for a password-mode kitty: X25519 between a fresh ephemeral key and kitty's
 * public key, SHA-256 of the shared secret as the AES-256-GCM key, a random 12-byte IV and a
 * 16-byte tag, no AAD. The encrypted JSON is the command plus `password` and `timestamp` (integer
 * nanoseconds); only the envelope leaves this function, so the password travels nowhere else.
 *
 * @example
 * ```ts
 * const envelope = await encryptCommand(fontSizeChangeCommand(3), password, kittyPublicKey);
 * await connection.request(envelope);
 * ```
 */
export async function encryptCommand(
  command: KittyCommand,
  password: string,
  kittyPublicKey: Uint8Array,
  options: EncryptOptions = {},
): Promise<EncryptedEnvelope> {
  const keyPair = options.keyPair ??
    (await crypto.subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]) as CryptoKeyPair);
  const aesKey = await sharedAesKey(kittyPublicKey, keyPair.privateKey);
  const iv = options.iv ?? crypto.getRandomValues(new Uint8Array(12));
  const nowNs = options.nowNs ?? BigInt(Date.now()) * 1_000_000n;
  // The timestamp must be a JSON integer beyond 2^53: splice it in as text.
  const inner = toAsciiJson({ ...command, password }).replace(/}$/, `,"timestamp":${nowNs}}`);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: new Uint8Array(iv), tagLength: 128 },
      aesKey,
      new TextEncoder().encode(inner),
    ),
  );
  const publicRaw = new Uint8Array(await crypto.subtle.exportKey("raw", keyPair.publicKey));
  return {
    version: KITTY_PROTOCOL_VERSION,
    iv: encodeBase85(iv),
    tag: encodeBase85(sealed.subarray(sealed.length - 16)),
    pubkey: encodeBase85(publicRaw),
    encrypted: encodeBase85(sealed.subarray(0, sealed.length - 16)),
  };
}

/** kitty's key agreement: X25519 between our private key and kitty's raw public key, then SHA-256. */
async function sharedAesKey(peerPublicRaw: Uint8Array, privateKey: CryptoKey): Promise<CryptoKey> {
  const peerKey = await crypto.subtle.importKey(
    "raw",
    new Uint8Array(peerPublicRaw),
    { name: "X25519" },
    false,
    [],
  );
  const shared = await crypto.subtle.deriveBits(
    { name: "X25519", public: peerKey },
    privateKey,
    256,
  );
  return crypto.subtle.importKey(
    "raw",
    await crypto.subtle.digest("SHA-256", shared),
    { name: "AES-GCM" },
    false,
    ["encrypt"],
  );
}
