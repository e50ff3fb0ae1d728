"""The project's password hashers: Argon2id at OWASP's parameters (the one that creates hashes), and the verifier of
hashes imported from the Flask service (Werkzeug formats), stored as `werkzeug$<hash>`."""

import hashlib
import hmac

from django.contrib.auth.hashers import Argon2PasswordHasher, BasePasswordHasher, mask_hash


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id with 19 MiB, two passes and one lane (OWASP's password storage parameters).

    Django's defaults (100 MiB, eight lanes) cost about 200 ms of CPU per hash spread over eight threads, which
    on a two-core host queues every other request behind a login; these cost one core about 20 ms. The algorithm
    name stays `argon2`, so every stored Argon2 hash verifies here and one made with other parameters is re-hashed
    at the next successful login (`must_update`).
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1


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
