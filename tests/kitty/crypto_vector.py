"""Generates the known-answer vector of tests/kitty/crypto_test.ts, independently of tether.

Run it with kitty's own Python, so the way the vector is built is also checked by kitty:

    kitty +launch tests/kitty/crypto_vector.py

(plain `python3 tests/kitty/crypto_vector.py` prints the same vector without that check).
The envelope is computed with the `cryptography` package (X25519, SHA-256 of the shared secret,
AES-256-GCM with a 12-byte IV and no AAD) and Python's base64.b85encode (the RFC 1924 alphabet
kitty uses). Under kitty, the same builder then encrypts the command for a fresh kitty key
(EllipticCurveKey) with the current time, and kitty's own server-side parser (remote_control
parse_cmd) must decrypt it back to the command with the password.
"""
import base64
import hashlib
import json
import time

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KITTY_PRIVATE = bytes.fromhex("a8abababababababababababababababababababababababababababababab6b")
CLIENT_PRIVATE = bytes.fromhex("58c4c8b6b5e2a0f1d3c7e9b1a2f4d6e8c0b2a4f6e8d0c2b4a6f8e0d2c4b6a85f")
IV = bytes.fromhex("000102030405060708090a0b")
PASSWORD = "tether-known-answer-password"
TIMESTAMP_NS = 1763000000123456789
# tether's serialisation of set-font-size +3 with the password and timestamp appended.
PLAINTEXT = (
    '{"cmd":"set-font-size","version":[0,26,0],"payload":{"size":3,"increment_op":"+",'
    '"all":false},"password":"' + PASSWORD + '","timestamp":' + str(TIMESTAMP_NS) + "}"
).encode("ascii")


def raw_public(private_key):
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def b85(data):
    return base64.b85encode(data).decode("ascii")


def envelope(kitty_public, client_key, iv, plaintext):
    """kitty's encrypted envelope for `plaintext`, from the client's private key."""
    shared = client_key.exchange(X25519PublicKey.from_public_bytes(kitty_public))
    sealed = AESGCM(hashlib.sha256(shared).digest()).encrypt(iv, plaintext, None)
    return {
        "version": [0, 26, 0],
        "iv": b85(iv),
        "tag": b85(sealed[-16:]),
        "pubkey": b85(raw_public(client_key)),
        "encrypted": b85(sealed[:-16]),
    }


kitty_key = X25519PrivateKey.from_private_bytes(KITTY_PRIVATE)
client_key = X25519PrivateKey.from_private_bytes(CLIENT_PRIVATE)
vector = envelope(raw_public(kitty_key), client_key, IV, PLAINTEXT)

try:
    from kitty.fast_data_types import EllipticCurveKey
    from kitty.remote_control import parse_cmd
except ImportError:
    print("# not run by kitty: the builder was not checked against kitty's parser")
else:
    now_ns = time.time_ns()
    live = PLAINTEXT.replace(str(TIMESTAMP_NS).encode(), str(now_ns).encode())
    kitty_side = EllipticCurveKey()
    parsed = parse_cmd(json.dumps(envelope(kitty_side.public, client_key, IV, live)), kitty_side)
    assert parsed == {
        "cmd": "set-font-size",
        "version": [0, 26, 0],
        "payload": {"size": 3, "increment_op": "+", "all": False},
        "password": PASSWORD,
    }, parsed
    print("# the builder's envelope was decrypted by kitty's own parse_cmd")

print(json.dumps({
    "kitty_private_hex": KITTY_PRIVATE.hex(),
    "kitty_public_key": "1:" + b85(raw_public(kitty_key)),
    "client_private_hex": CLIENT_PRIVATE.hex(),
    "client_public_hex": raw_public(client_key).hex(),
    "iv_hex": IV.hex(),
    "password": PASSWORD,
    "timestamp_ns": str(TIMESTAMP_NS),
    "plaintext": PLAINTEXT.decode("ascii"),
    "envelope": vector,
}, indent=2))
