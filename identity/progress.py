"""Progress of long management commands (a rich bar on a terminal, a few plain lines otherwise), and the batches
they write rows in."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# Without a terminal, one line per tenth of the work (and one at the end).
PLAIN_STEPS = 10


class CommandProgress:
    """`with progress.task("users", total) as advance: advance(n)` — on `stream` (a command's stderr)."""

    def __init__(self, stream):
        # A command's OutputWrapper appends a newline to every write, which would break rich's partial writes.
        self.stream = getattr(stream, "_out", stream)
        self.console = Console(file=self.stream, highlight=False)
        self.terminal = self.console.is_terminal

    @contextmanager
    def task(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        if self.terminal:
            columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=self.console, transient=False) as bar:
                task_id = bar.add_task(label, total=total)
                yield lambda count: bar.advance(task_id, count)
            return
        yield self._plain(label, total)

    def _plain(self, label: str, total: int) -> Callable[[int], None]:
        step = max(1, total // PLAIN_STEPS)
        state = {"done": 0, "printed": 0}

        def advance(count: int) -> None:
            state["done"] += count
            done = state["done"]
            if done - state["printed"] >= step or (done >= total and state["printed"] < done):
                self.stream.write(f"{label}: {done}/{total}\n")
                self.stream.flush()
                state["printed"] = done

        return advance


def silent_task(label: str, total: int):
    """A `CommandProgress.task` stand-in that shows nothing (callers without a display)."""
    return nullcontext(lambda count: None)


def batches(items: list, size: int) -> Iterable[list]:
    """`items` in consecutive slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
