"""Password hashes written with the standard library still read every hash Werkzeug stored."""

from __future__ import annotations

import pytest

from engine.people.passwords import hash_password, verify_password

# Written once by werkzeug.security.generate_password_hash (Werkzeug 3.1), copied here by hand.
WERKZEUG_SCRYPT = (
    "scrypt:32768:8:1$t9tSkPEnyoQG3kHd$6b6df6590126d94a63900604e8297f85f44232561db3f2b1668090e7"
    "ad674ae7fd8598420a813381c9f96b24110cb825874d757fa4b8c7bdc00ce4074fff0307")
WERKZEUG_PBKDF2 = ("pbkdf2:sha256:1000$3lPEmuSz2x4ygbUS$fa5fe756106f9deba46e1ea89c98ac2d7a0393381"
                   "8b9b9f9ca923f754da9a9b4")
WERKZEUG_SCRYPT_CHEAP = (
    "scrypt:1024:8:1$AGmVSrMm8BeBdovn$8185a8d5c969a4b43f5f8e1e2379494ead5f1377646625bcb776ee225b"
    "339a2f3cdb16e80fce12786058f51adccd3890abc9bbd79d13f9259f6c56eeab56deab")


@pytest.mark.parametrize("stored, password", [
    (WERKZEUG_SCRYPT, "Linzi#2026ok"),
    (WERKZEUG_PBKDF2, "Linzi#2026ok"),
    (WERKZEUG_SCRYPT_CHEAP, "密码ab12"),
])
def test_hashes_werkzeug_stored_still_verify(stored, password):
    assert verify_password(stored, password)
    assert not verify_password(stored, password + "x")
    assert not verify_password(stored, "")


def test_a_new_hash_is_werkzeug_default_scrypt_with_a_fresh_salt():
    first, second = hash_password("Linzi#2026ok"), hash_password("Linzi#2026ok")
    method, salt, digest = first.split("$")
    assert method == "scrypt:32768:8:1"
    assert len(salt) == 16 and salt.isalnum()
    assert len(digest) == 128  # 64 bytes, hex
    assert first != second  # salted
    assert verify_password(first, "Linzi#2026ok")
    assert not verify_password(first, "linzi#2026ok")


def test_werkzeug_reads_the_hashes_written_here():
    from werkzeug.security import check_password_hash

    assert check_password_hash(hash_password("密码ab12Q!"), "密码ab12Q!")


@pytest.mark.parametrize("stored", ["", "plain", "md5$salt$abc", "scrypt:x:8:1$salt$00",
                                    "pbkdf2:nosuchhash:10$salt$00"])
def test_malformed_or_unknown_hashes_never_verify(stored):
    assert not verify_password(stored, "anything")
