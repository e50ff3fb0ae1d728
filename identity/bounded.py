"""What a process keeps of what it has seen — token claims, Guardian decisions, the answers of outside services,
rows — in maps of bounded size: the oldest entry makes room for a new one.

A BoundedMap is a dict: reads are a dict's own (`get`, `in`, `[]`). `keep` adds an entry, first evicting the oldest
ones (a dict keeps its insertion order) while the map is full; `drop` removes one. Both hold the map's lock, so that
threads evicting at the same moment do not take the same oldest entry twice.
"""

import threading
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMap(dict[K, V]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.lock = threading.Lock()

    def keep(self, key: K, value: V, *, size: int | None = None) -> None:
        """Adds or replaces the entry of `key`; a new key first evicts the oldest entries down to `size` (the map's
        own by default) less one."""
        limit = self.size if size is None else size
        with self.lock:
            if key not in self:
                while self and len(self) >= limit:
                    del self[next(iter(self))]
            self[key] = value

    def drop(self, key: K) -> None:
        with self.lock:
            self.pop(key, None)
