"""Gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`."""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT') or '5000'}"

# WEB_CONCURRENCY sets the process count; the default follows gunicorn's 2 × cores + 1, capped so that a large
# host does not open more database connections (each worker has its own pool) than PostgreSQL expects.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))

# gthread: every protected request waits on Guardian over HTTP (up to GUARDIAN_SERVICE_TIMEOUT) and avatar
# uploads on Storage; threads keep a worker serving other requests during those waits, and keep-alive connections
# from the proxy are honoured (the sync worker closes every connection). The psycopg pool (DATABASE_POOL_MAX_SIZE,
# default 8) and the outside-service sessions are thread-safe and sized above the thread count.
# GUNICORN_CMD_ARGS (e.g. "--threads 8") overrides anything in this file.
worker_class = "gthread"
threads = 4

# Above STORAGE_REQUEST_TIMEOUT (30 s), so a slow Storage call answers 503 instead of the worker being killed.
timeout = 60
graceful_timeout = 30
keepalive = 5

# Each worker opens its own database pool and HTTP sessions; connections must not be shared across a fork.
preload_app = False
# The heartbeat file on tmpfs: a container's overlay filesystem can stall it and get healthy workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# No runtime control socket (gunicorn ≥ 25.1 opens one under $HOME): signals are the container's interface.
control_socket_disable = True

# Access log on stdout, one line per request with the id the API echoes in X-Request-ID (the caller's or a new one).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
