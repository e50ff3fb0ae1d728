"""Prometheus metrics: requests, database queries and outside calls, aggregated across gunicorn workers."""

import atexit
import os
import re
import threading
import time
from bisect import bisect_left

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)

# With PROMETHEUS_MULTIPROC_DIR set (config/gunicorn.conf.py sets it before any worker starts), every process
# writes its samples to files there and a scrape adds up those of all workers.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUESTS = Counter(
    "identity_http_requests", "HTTP requests answered, by route, method and status.", ["route", "method", "status"]
)
REQUEST_SECONDS = Histogram(
    "identity_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
QUERIES = Counter(
    "identity_database_queries", "Database queries run while answering requests, by outcome.", ["outcome"]
)
QUERY_SECONDS = Histogram(
    "identity_database_query_duration_seconds",
    "Time of one database query.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5),
)
OUTSIDE_CALLS = Counter(
    "identity_outside_calls", "Calls to Guardian and Storage, by service and outcome.", ["service", "outcome"]
)
OUTSIDE_SECONDS = Histogram(
    "identity_outside_call_duration_seconds",
    "Time of one call to an outside service.",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# --- this process's tally ---------------------------------------------------------------------------------------
# A sample written through prometheus_client's multiprocess values costs three locked writes to a shared file (a
# counter and a histogram's sum and bucket, ~28,000 instructions a request and again per query and per Guardian
# check: callgrind, bench/README.md). The request path adds to a dict here instead; a thread of the process writes
# the sums to the values once every FLUSH_SECONDS, a scrape writes its own process's first, and so does the
# process at exit. A scrape therefore sees another worker's samples at most FLUSH_SECONDS late (a worker killed
# by SIGKILL loses at most that much).
FLUSH_SECONDS = 1.0


class _Tally:
    """Counts and observations not yet written to the metrics' values: counter child → amount, histogram child →
    [sum, count per bucket]."""

    def __init__(self, every: float | None = FLUSH_SECONDS) -> None:
        self.every = every  # seconds between the writer thread's flushes; None: no thread, flush() only
        self.reset()
        os.register_at_fork(after_in_child=self.reset)  # the parent writes what it holds; the child starts empty

    def reset(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict = {}
        self.observed: dict = {}
        self.writer: threading.Thread | None = None

    def record(self, counter, histogram, seconds: float) -> None:
        """`counter.inc()` and `histogram.observe(seconds)`, written at the next flush."""
        if self.writer is None and self.every is not None:
            self._start()
        with self.lock:
            counts = self.counts
            counts[counter] = counts.get(counter, 0) + 1
            pending = self.observed.get(histogram)
            if pending is None:
                pending = self.observed[histogram] = [0.0] * (len(histogram._upper_bounds) + 1)
            pending[0] += seconds
            # prometheus_client's own rule: the first bucket whose upper bound is at least the value
            pending[bisect_left(histogram._upper_bounds, seconds) + 1] += 1

    def flush(self) -> None:
        with self.lock:
            counts, self.counts = self.counts, {}
            observed, self.observed = self.observed, {}
        for counter, amount in counts.items():
            counter.inc(amount)
        for histogram, pending in observed.items():
            histogram._sum.inc(pending[0])
            for bucket, count in zip(histogram._buckets, pending[1:], strict=True):
                if count:
                    bucket.inc(count)

    def _start(self) -> None:
        with self.lock:
            if self.writer is not None:
                return
            self.writer = threading.Thread(target=self._write, name="metrics-flush", daemon=True)
            self.writer.start()

    def _write(self) -> None:
        while True:
            time.sleep(self.every or FLUSH_SECONDS)
            self.flush()


_tally = _Tally()
atexit.register(_tally.flush)

_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")

# The children of the labelled metrics a request and its outside calls touch, and each URL pattern's template: all
# bounded (routes × methods × statuses, services × outcomes), looked up in a dict instead of through `labels()` and
# a regular expression per request.
_QUERIES_OK = QUERIES.labels("ok")
_QUERIES_ERROR = QUERIES.labels("error")
_templates: dict[str, str] = {}
_request_children: dict[tuple[str, str, int], tuple] = {}
_outside_children: dict[tuple[str, str], tuple] = {}


def route_of(request) -> str:
    """The matched URL pattern as a path template (`/users/{pk}`): a bounded label, unlike the path itself."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    if match.url_name == "not-found":
        return "not-found"
    pattern = match.route or ""
    template = _templates.get(pattern)
    if template is None:
        route = _GROUP.sub(r"{\1}", pattern)
        route = route.removeprefix("^").removesuffix("$").removesuffix("/?").replace("^", "").replace("$", "")
        template = _templates[pattern] = "/" + route.rstrip("/")
    return template


def record_request(request, status: int, seconds: float) -> None:
    key = (route_of(request), request.method, status)
    children = _request_children.get(key)
    if children is None:
        route, method = key[0], key[1]
        children = (REQUESTS.labels(route, method, str(status)), REQUEST_SECONDS.labels(route, method))
        _request_children[key] = children
    _tally.record(children[0], children[1], seconds)


def count_queries(execute, sql, params, many, context):
    """A `connection.execute_wrapper` that counts and times each query by outcome."""
    started = time.perf_counter()
    try:
        result = execute(sql, params, many, context)
    except Exception:
        _tally.record(_QUERIES_ERROR, QUERY_SECONDS, time.perf_counter() - started)
        raise
    _tally.record(_QUERIES_OK, QUERY_SECONDS, time.perf_counter() - started)
    return result


def record_outside_call(service: str, outcome: str, seconds: float) -> None:
    """One call to `service` (`guardian`, `storage`) ended with `outcome` (`2xx`…`5xx`, `timeout`, `error`)."""
    key = (service, outcome)
    children = _outside_children.get(key)
    if children is None:
        children = _outside_children[key] = (OUTSIDE_CALLS.labels(service, outcome), OUTSIDE_SECONDS.labels(service))
    _tally.record(children[0], children[1], seconds)


def exposition() -> bytes:
    """The text exposition of this server: every worker's samples, and this process's own process metrics."""
    _tally.flush()
    if not MULTIPROCESS:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    ProcessCollector(registry=registry)
    return generate_latest(registry)
