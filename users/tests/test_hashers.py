"""The Argon2id hasher (users/hashers.py, docs/behaviour.md §7.6): libsodium computes and checks the project's own
hashes, bit for bit what argon2-cffi computes, and argon2-cffi takes what libsodium does not."""

import argon2
import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher

from users.hashers import SALT_LENGTH, SALT_SYMBOLS, Argon2idPasswordHasher

PASSWORDS = ["Correct-horse-42", "pässwörd-ünïcode-€", "x" * 300]


def argon2_cffi_encoding(password: str, salt: str, *, time_cost=2, memory_cost=19 * 1024, parallelism=1, kind=None):
    raw = argon2.low_level.hash_secret(
        password.encode(),
        salt.encode(),
        time_cost=time_cost,
        memory_cost=memory_cost,
        parallelism=parallelism,
        hash_len=argon2.DEFAULT_HASH_LENGTH,
        type=kind or argon2.low_level.Type.ID,
    )
    return "argon2" + raw.decode("ascii")


@pytest.fixture
def hasher():
    return Argon2idPasswordHasher()


@pytest.fixture
def forbid_argon2_cffi(monkeypatch):
    """Once called, fails any hash argon2-cffi would compute, so that a test shows libsodium computed it."""

    def refused(*args, **kwargs):
        raise AssertionError("argon2-cffi was asked to hash")

    def forbid():
        for module in (argon2.low_level, argon2._password_hasher):
            monkeypatch.setattr(module, "hash_secret", refused)
            monkeypatch.setattr(module, "verify_secret", refused)

    return forbid


@pytest.mark.parametrize("password", PASSWORDS)
def test_libsodium_computes_what_argon2_cffi_computes(hasher, password):
    salt = hasher.salt()
    expected = argon2_cffi_encoding(password, salt)
    assert hasher.encode(password, salt) == expected
    assert hasher.verify(password, expected)
    assert not hasher.verify(password + "!", expected)


def test_the_project_s_own_hashes_never_reach_argon2_cffi(hasher, forbid_argon2_cffi):
    forbid_argon2_cffi()
    encoded = hasher.encode("Correct-horse-42", hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify("Correct-horse-42", encoded)
    assert not hasher.verify("Correct-horse-43", encoded)


def test_salts_are_sixteen_random_symbols_without_a_dollar(hasher):
    salts = {hasher.salt() for _ in range(50)}
    assert len(salts) == 50
    for salt in salts:
        assert len(salt) == SALT_LENGTH == 16 and set(salt) <= set(SALT_SYMBOLS) and "$" not in salt
    assert len(SALT_SYMBOLS) == len(set(SALT_SYMBOLS)) == 64  # 6 bits per symbol: 96 bits per salt


def test_a_salt_of_another_length_is_hashed_by_argon2_cffi(hasher):
    salt = Argon2PasswordHasher().salt()  # Django's 22 symbols
    assert len(salt) != SALT_LENGTH
    assert hasher.encode("Correct-horse-42", salt) == argon2_cffi_encoding("Correct-horse-42", salt)


@pytest.mark.parametrize(
    "cost",
    [
        {"time_cost": 2, "memory_cost": 102400, "parallelism": 8},  # Django's defaults
        {"time_cost": 3, "memory_cost": 65536, "parallelism": 4},
        {"time_cost": 1, "memory_cost": 8192, "parallelism": 1},
    ],
)
def test_argon2id_hashes_of_other_parameters_verify_in_libsodium(hasher, forbid_argon2_cffi, cost):
    encoded = "argon2" + argon2.PasswordHasher(**cost).hash("Old-params-42")
    forbid_argon2_cffi()
    assert hasher.verify("Old-params-42", encoded)
    assert not hasher.verify("Old-params-43", encoded)
    assert hasher.must_update(encoded)


def test_argon2i_hashes_go_to_argon2_cffi(hasher, forbid_argon2_cffi):
    encoded = argon2_cffi_encoding("Old-kind-42", "abcdefghijklmnop", kind=argon2.low_level.Type.I)
    assert encoded.startswith("argon2$argon2i$")
    assert hasher.verify("Old-kind-42", encoded)
    assert not hasher.verify("Old-kind-43", encoded)
    assert hasher.must_update(encoded)
    forbid_argon2_cffi()
    with pytest.raises(AssertionError, match="argon2-cffi was asked"):
        hasher.verify("Old-kind-42", encoded)


def test_must_update_keeps_current_hashes_and_renews_short_salts(hasher):
    assert not hasher.must_update(hasher.encode("Correct-horse-42", hasher.salt()))
    # Django's own salt (22 symbols) at the current parameters is kept as well.
    assert not hasher.must_update(argon2_cffi_encoding("Correct-horse-42", Argon2PasswordHasher().salt()))
    assert hasher.must_update(argon2_cffi_encoding("Correct-horse-42", "short-salt"))


@pytest.mark.parametrize(
    "encoded",
    [
        "argon2$argon2id$v=19$m=19456,t=2,p=1$bm90LWJhc2U2NA$",
        "argon2$argon2id$v=19$m=19456,t=2,p=1$$",
        "argon2$argon2id$v=19$garbage",
        "argon2$argon2id$v=19$m=19456,t=2,p=1$" + "A" * 200 + "$" + "B" * 43,
    ],
)
def test_malformed_argon2id_hashes_never_match(hasher, encoded):
    assert hasher.verify("Correct-horse-42", encoded) is False
