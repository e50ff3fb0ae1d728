"""Gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`."""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

bind = f"0.0.0.0:{os.environ.get('PORT') or '5000'}"

# WEB_CONCURRENCY sets the process count; by default one per usable core (at least 2, at most 8, so that a large
# host does not open more database connections — each worker has its own pool — than PostgreSQL expects). A
# request's work is CPU-bound Python: more processes than cores only take turns on them. Measured on 2 cores on
# 2026-12-01 (make bench with BASELINE, one alternation): 2 workers served 1.47× the GET /users/{id}, 1.24× the
# page of users and 1.25× the PATCH of 4 gthread workers, at a p99 of 22–55 ms instead of 62–384 ms; 4 workers
# with their connections spread evenly (below) were the slowest, 0.78–0.95× of 4 plain gthread ones, which had
# by chance left most connections on two of them. Where calls to Guardian or Storage are slow enough that a worker
# would mostly wait, raise GUNICORN_THREADS or WEB_CONCURRENCY.
_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else multiprocessing.cpu_count()
workers = int(os.environ.get("WEB_CONCURRENCY") or min(max(_cores, 2), 8))

# gthread workers with one thread by default: a request's work is CPU-bound Python, so one thread per process (threads
# in one process only take turns on the GIL: on 2 cores, 4 workers × 4 threads served 250 requests/s of
# GET /users/{id} against 330 for sync workers, at a p99 of 160 ms instead of 9 ms), but unlike the sync worker it
# keeps connections alive, so that a proxy (or any client) does not open a TCP connection per request. Measured on
# 2 cores on 2026-12-01, 3 workers each, the two servers side by side under the same (heavy) load, alternating
# wrk -c16 runs: 120 requests/s for GET /users/{id} with gthread against 73 with sync workers, p99 alike.
# The worker class is gthread's with its connections spread evenly over the workers (config/workers.py): with as
# many workers as cores, a worker left without connections is a core left idle (16 connections opened at once went
# 15, 1, 0, 0 over four plain gthread workers), and with one thread it serves each request on its main loop (no
# hand-over to a pool thread and back: on 2 cores, with the change feed's quieter thread of the same day, 1.55× the
# GET /users/{id} and 1.08–1.18× the page of users, children and PATCH of the code before both, 2026-12-01).
# GUNICORN_THREADS > 1 adds threads, gthread's own pool (on 2 cores, 2 workers × 2 threads served 0.75–0.9× of
# 2 × 1). GUNICORN_CMD_ARGS overrides anything here.
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "config.workers.BalancedThreadWorker"  # gthread, sync

# Above STORAGE_REQUEST_TIMEOUT (30 s), so a slow Storage call answers 503 instead of the worker being killed.
timeout = 60
graceful_timeout = 30
# Behind a proxy that keeps its upstream connections open, the server must not close one first: a request the
# proxy sends on a connection the server is closing fails. 75 s outlasts the common 60 s idle timeouts (nginx's
# upstream keepalive_timeout, cloud load balancers); an idle kept-alive connection costs a gthread worker a file
# descriptor in its poller, not a thread.
keepalive = 75

# Each worker opens its own database pool and HTTP sessions; connections must not be shared across a fork.
preload_app = False
# The heartbeat file on tmpfs: a container's overlay filesystem can stall it and get healthy workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No runtime control socket (gunicorn ≥ 25.1 opens one under $HOME): signals are the container's interface.
control_socket_disable = True

# The application logs one line per request (identity.middleware.AccessLogMiddleware, LOG_FORMAT), with the ids
# of the caller: gunicorn's own access line would repeat it. Its error log (start, stop, killed workers) stays.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# What the API can receive: a list query of 10,000 characters and more (gunicorn offers nothing between its
# 8190-byte maximum and no limit for the request line), and headers up to 16 KiB each (a front end's cookies).
# The proxy in front bounds the request line; Django bounds the number of query parameters (400 above 1,000).
limit_request_line = 0
limit_request_field_size = 16384
limit_request_fields = 100
# Requests are parsed by gunicorn_h1c (a dependency: picohttpparser, compiled) instead of gunicorn's Python parser, with
# the same limits and refusals; "auto" falls back to the Python parser where the extension is missing. Measured on
# 2 cores (bench/run.sh with BASELINE, ROUNDS=3, 2026-12-02), with the backend's compiled timestamptz loader of the
# same day: 1.07x the PATCH of the code before both.
http_parser = os.environ.get("GUNICORN_HTTP_PARSER") or "auto"

# Metrics of every worker in one scrape (prometheus-client's multiprocess mode): the workers write their samples
# to files in PROMETHEUS_MULTIPROC_DIR, which the master sets before any worker starts. A directory of our own is
# removed at exit; one the operator gave is emptied at start, so that a restart does not add up old samples.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
        prefix="identity-metrics-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None
    )


def on_starting(server):
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    """A worker is gone: its live gauges go with it (its counters stay in the server's totals), and its slot on
    the connection board (config/workers.py) is free for the next one."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
    getattr(worker, "release", lambda: None)()


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def post_worker_init(worker):
    """Warms a new worker before it takes traffic, then freezes the start-up objects out of the collector's way.

    The first requests of a fresh process pay for lazy imports, URL pattern compilation and the first database
    connection (up to a few hundred milliseconds each); one internal `/health` call pays them instead. Django and
    its apps leave ~100,000 long-lived objects that every full garbage collection would scan again (tens of
    milliseconds per collection): `gc.freeze()` moves them to the permanent generation.
    """
    import gc
    import io

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/health",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    try:
        for _ in worker.wsgi(environ, lambda status, headers, exc_info=None: None):
            pass
    except Exception:
        worker.log.warning("Worker warm-up request failed", exc_info=True)
    gc.collect()
    gc.freeze()
