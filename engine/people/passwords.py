"""Password hashes with the standard library, in the format already stored.

Stored hashes were written by Werkzeug's `generate_password_hash`: `method$salt$hex`, where
method is `scrypt:n:r:p` (its default) or `pbkdf2:hash:iterations` (older releases). The
engine must not import Werkzeug (engine/README.md), so the same format is written and read
here with `hashlib`; every hash already stored still verifies, and new ones are scrypt with
Werkzeug's default cost, which Werkzeug itself could still read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

SALT_CHARS = string.ascii_letters + string.digits
SALT_LENGTH = 16
SCRYPT = (2**15, 8, 1)  # n, r, p: Werkzeug's default
PBKDF2_ITERATIONS = 1_000_000  # only used when a pbkdf2 method names no iteration count


def _derive(method: str, salt: str, password: str) -> tuple[str, str]:
    """The hex digest and the full method string, for `method` as stored."""
    name, *args = method.split(":")
    secret, salt_bytes = password.encode(), salt.encode()
    if name == "scrypt":
        n, r, p = map(int, args) if args else SCRYPT
        digest = hashlib.scrypt(secret, salt=salt_bytes, n=n, r=r, p=p, maxmem=132 * n * r * p)
        return digest.hex(), f"scrypt:{n}:{r}:{p}"
    if name == "pbkdf2":
        hash_name = args[0] if args else "sha256"
        iterations = int(args[1]) if len(args) > 1 else PBKDF2_ITERATIONS
        digest = hashlib.pbkdf2_hmac(hash_name, secret, salt_bytes, iterations)
        return digest.hex(), f"pbkdf2:{hash_name}:{iterations}"
    raise ValueError(f"unknown password hash method {name!r}")


def hash_password(password: str) -> str:
    """A new `scrypt:n:r:p$salt$hex` hash with a random salt."""
    salt = "".join(secrets.choice(SALT_CHARS) for _ in range(SALT_LENGTH))
    digest, method = _derive("scrypt", salt, password)
    return f"{method}${salt}${digest}"


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` matches a stored hash; False for a malformed or unknown one."""
    try:
        method, salt, digest = stored.split("$", 2)
        expected, _ = _derive(method, salt, password)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(expected, digest)
