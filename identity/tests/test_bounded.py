"""identity.bounded.BoundedMap: the per-process maps of claims, decisions, answers and rows never pass their size."""

from concurrent.futures import ThreadPoolExecutor

from identity.bounded import BoundedMap


def test_the_oldest_entry_makes_room_and_a_replaced_key_evicts_nothing():
    kept = BoundedMap(3)
    for key in "abcd":
        kept.keep(key, key.upper())
    assert list(kept.items()) == [("b", "B"), ("c", "C"), ("d", "D")]
    kept.keep("c", "again")  # already there: replaced in place
    assert list(kept.items()) == [("b", "B"), ("c", "again"), ("d", "D")]
    kept.keep("e", "E", size=2)  # a smaller size given with the call evicts down to it
    assert list(kept) == ["d", "e"]
    kept.drop("d")
    kept.drop("missing")
    assert list(kept) == ["e"]


def test_threads_keeping_at_once_never_pass_the_size() -> None:
    kept: BoundedMap[int, int] = BoundedMap(50)

    def fill(start: int) -> None:
        for key in range(start, start + 5_000):
            kept.keep(key, key)
            assert len(kept) <= 50

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(fill, range(0, 20_000, 5_000)))
    assert len(kept) == 50
