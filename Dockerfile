# syntax=docker/dockerfile:1
# Identity Service image: gunicorn serving config.wsgi on $PORT (default 5000).

# --- builder: the virtualenv, with the pinned dependency set -----------------------------
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# A C compiler for the dependencies published as source only (gunicorn_h1c); the runtime stage has none.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
WORKDIR /app

# Dependencies first, from pyproject's list pinned by the constraints CI uses: this layer is reused until
# pyproject.toml or the constraints change.
COPY pyproject.toml ./
COPY requirements/constraints.txt requirements/constraints.txt
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -c requirements/constraints.txt -r /tmp/requirements.txt

# The project itself, editable at /app (the path it has in the runtime stage): the code exists once, and the
# package metadata gives /version its value.
COPY . .
RUN pip install --no-deps -e .

# --- runtime -----------------------------------------------------------------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    APP_ENV=production \
    PORT=5000

RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app

# Static files (admin, Swagger UI, ReDoc) are collected at build time with production's compressed storage. The
# values below are placeholders that exist only for this step and are not kept in the image.
RUN APP_ENV=production SECRET_KEY=collectstatic-only JWT_SECRET=collectstatic-only \
        INTERNAL_AUTH_TOKEN=collectstatic-only USE_GUARDIAN_SERVICE=false RATELIMIT_ENABLED=false \
        python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/media \
    && chown app:app /app/media \
    && chmod 0755 /app/docker-entrypoint.sh

# The code stays owned by root (read-only for the service); only MEDIA_ROOT is writable.
USER app

EXPOSE 5000

# Liveness only (no I/O). The Host header is taken from ALLOWED_HOSTS so Django accepts the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request as u; hosts = [h.strip().lstrip('.') for h in os.environ.get('ALLOWED_HOSTS', '').split(',') if h.strip() not in ('', '*')]; u.urlopen(u.Request('http://127.0.0.1:%s/health/live' % (os.environ.get('PORT') or '5000'), headers={'Host': hosts[0] if hosts else 'localhost'}), timeout=4)"

ENTRYPOINT ["/app/docker-entrypoint.sh"]
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]
