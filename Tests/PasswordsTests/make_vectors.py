"""Writes the password-hash test vectors of PasswordHasherTests.swift, independently of our Swift code.

Uses only Python's hashlib/hmac (OpenSSL's scrypt). Fixed salts make the output reproducible:
    python3 Tests/PasswordsTests/make_vectors.py
"""
import base64
import hashlib
import hmac
import struct


def medusa_hash(password: bytes, salt: bytes, log_n: int, r: int, p: int) -> str:
    """scrypt-kdf's kdf(): the 96-byte header of Colin Percival's scrypt format, base64."""
    assert len(salt) == 32
    header = b"scrypt" + bytes([0, log_n]) + struct.pack(">II", r, p) + salt
    header += hashlib.sha256(header).digest()[:16]
    key = hashlib.scrypt(password, salt=salt, n=2 ** log_n, r=r, p=p, dklen=64, maxmem=2 ** 31 - 1)
    header += hmac.new(key[32:], header, hashlib.sha256).digest()
    assert len(header) == 96
    return base64.b64encode(header).decode()


def phc_hash(password: bytes, salt: bytes, log_n: int, r: int, p: int) -> str:
    """Our own format: $scrypt$ln=..,r=..,p=..$<salt>$<32-byte key>, base64 without padding."""
    key = hashlib.scrypt(password, salt=salt, n=2 ** log_n, r=r, p=p, dklen=32, maxmem=2 ** 31 - 1)
    b64 = lambda b: base64.b64encode(b).decode().rstrip("=")
    return f"$scrypt$ln={log_n},r={r},p={p}${b64(salt)}${b64(key)}"


if __name__ == "__main__":
    print("medusa ln=1 r=1 p=1 (Medusa v1's own setting):",
          medusa_hash("supersecret".encode(), bytes(range(32)), 1, 1, 1))
    print("medusa ln=10 r=8 p=1, non-ASCII password:",
          medusa_hash("pässwörd 🔑".encode(), bytes(range(100, 132)), 10, 8, 1))
    print("ours ln=10 r=8 p=1:", phc_hash("correct horse".encode(), bytes(range(16)), 10, 8, 1))
