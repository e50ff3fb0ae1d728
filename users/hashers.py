"""The project's password hashers: Argon2id at OWASP's parameters (the one that creates hashes), and the verifier of
hashes imported from the Flask service (Werkzeug formats), stored as `werkzeug$<hash>`."""

import base64
import hashlib
import hmac
import string

import nacl.bindings
import nacl.exceptions
from django.contrib.auth.hashers import Argon2PasswordHasher, BasePasswordHasher, mask_hash
from django.utils.crypto import get_random_string

# libsodium's Argon2 takes salts of exactly this many bytes.
SALT_LENGTH = nacl.bindings.crypto_pwhash_SALTBYTES
# 64 symbols, none of them `$`: a salt of SALT_LENGTH of them holds 96 random bits.
SALT_SYMBOLS = string.ascii_letters + string.digits + "./"
_SODIUM_PREFIX = "$argon2id$v=19$"


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id with 19 MiB, two passes and one lane (OWASP's password storage parameters).

    Django's defaults (100 MiB, eight lanes) cost about 200 ms of CPU per hash spread over eight threads, which
    on a two-core host queues every other request behind a login; these cost one core about 10 ms. The algorithm
    name stays `argon2`, so every stored Argon2 hash verifies here and one made with other parameters is re-hashed
    at the next successful login (`must_update`).

    The hash is computed by libsodium (PyNaCl), which picks the CPU's vector instructions at run time: about half
    the time of argon2-cffi's portable build for the same Argon2id, bit for bit (docs/behaviour.md §7.6). Its
    salts are 16 bytes, so `salt()` makes 16 symbols; a salt of another length (a caller's own) and any hash
    libsodium does not take (Argon2i, Argon2d, another version) go to argon2-cffi as before.
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

    def salt(self):
        return get_random_string(SALT_LENGTH, SALT_SYMBOLS)

    def encode(self, password, salt):
        salt_bytes = salt.encode()
        if len(salt_bytes) != SALT_LENGTH or self.parallelism != 1:
            return super().encode(password, salt)
        params = self.params()
        digest = nacl.bindings.crypto_pwhash_alg(
            params.hash_len,
            password.encode(),
            salt_bytes,
            opslimit=params.time_cost,
            memlimit=params.memory_cost * 1024,
            alg=nacl.bindings.crypto_pwhash_ALG_ARGON2ID13,
        )
        cost = f"m={params.memory_cost},t={params.time_cost},p=1"
        return f"{self.algorithm}{_SODIUM_PREFIX}{cost}${_b64(salt_bytes)}${_b64(digest)}"

    def verify(self, password, encoded):
        algorithm, rest = encoded.split("$", 1)
        rest = "$" + rest
        if algorithm != self.algorithm or not rest.startswith(_SODIUM_PREFIX):
            return super().verify(password, encoded)
        try:
            return nacl.bindings.crypto_pwhash_str_verify(rest.encode(), password.encode())
        except nacl.exceptions.InvalidkeyError:
            return False  # a wrong password, or a stored hash libsodium cannot read
        except nacl.exceptions.ValueError:
            return super().verify(password, encoded)  # longer than libsodium's 127 bytes

    def must_update(self, encoded):
        # Django's rule counts a salt's bits as if it were made of 62 symbols, which would call every 16-symbol
        # salt short and re-hash it at every login: a salt of SALT_LENGTH bytes or more is kept.
        decoded = self.decode(encoded)
        current, wanted = decoded["params"], self.params()
        wanted.salt_len = current.salt_len
        return current != wanted or len(decoded["salt"]) < SALT_LENGTH


def _b64(raw: bytes) -> str:
    """Base64 without padding, as the Argon2 encoding writes salt and hash."""
    return base64.b64encode(raw).decode("ascii").rstrip("=")


class WerkzeugPasswordHasher(BasePasswordHasher):
    """Verifies `scrypt:N:r:p$salt$hex` and `pbkdf2:<alg>:N$salt$hex`; never used to create hashes."""

    algorithm = "werkzeug"

    def salt(self):
        raise NotImplementedError("Werkzeug hashes are only verified, never created")

    def encode(self, password, salt):
        raise NotImplementedError("Werkzeug hashes are only verified, never created")

    def decode(self, encoded):
        algorithm, original = encoded.split("$", 1)
        method, salt, hex_hash = original.split("$", 2)
        return {"algorithm": algorithm, "method": method, "salt": salt, "hash": hex_hash}

    def verify(self, password, encoded):
        try:
            parts = self.decode(encoded)
            computed = _werkzeug_hash(parts["method"], parts["salt"], password)
            return computed is not None and hmac.compare_digest(computed, parts["hash"].lower())
        except (ValueError, KeyError, TypeError, OverflowError):
            return False  # a malformed stored hash never matches

    def safe_summary(self, encoded):
        parts = self.decode(encoded)
        return {
            "algorithm": self.algorithm,
            "method": parts["method"],
            "salt": mask_hash(parts["salt"]),
            "hash": mask_hash(parts["hash"]),
        }

    def must_update(self, encoded):
        return True

    def harden_runtime(self, password, encoded):
        pass


def _werkzeug_hash(method: str, salt: str, password: str) -> str | None:
    """The hex digest Werkzeug's `generate_password_hash` stores for `method` (None for a method it never made)."""
    name, *args = method.split(":")
    if name == "scrypt":
        if args and len(args) != 3:
            raise ValueError("scrypt takes 3 arguments")
        n, r, p = (int(x) for x in args) if args else (2**15, 8, 1)
        # Werkzeug's own memory bound; OpenSSL needs slightly more than 128 * n * r * p.
        maxmem = 132 * n * r * p
        return hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=maxmem).hex()
    if name == "pbkdf2":
        if len(args) > 2:
            raise ValueError("pbkdf2 takes at most 2 arguments")
        algorithm = args[0] if args else "sha256"
        # Werkzeug always stores the iteration count; the default only matters for hand-written hashes.
        iterations = int(args[1]) if len(args) > 1 else 600000
        return hashlib.pbkdf2_hmac(algorithm, password.encode(), salt.encode(), iterations).hex()
    return None
