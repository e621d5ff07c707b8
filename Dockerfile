# Aduan in a container: runtime dependencies only, a non-root user, var/ as a volume.
#   docker build -t aduan .        (or `docker compose up` with compose.yaml: Aduan + PostgreSQL 15)
# The instance folder /srv/aduan holds config.yaml and data/ (written by `aduan init`);
# mount your own config.yaml over /srv/aduan/config.yaml to change more than the environment allows.

FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md LICENSE config.yaml ./
COPY data ./data
COPY config_fragments ./config_fragments
COPY bot ./bot
COPY adapters ./adapters
COPY store ./store
COPY scheduler ./scheduler
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ADUAN_CONFIG=/srv/aduan/config.yaml ADUAN_HTTP_HOST=0.0.0.0 ADUAN_HTTP_PORT=8080 \
    ADUAN_SMTP_HOST=0.0.0.0 ADUAN_LOG_FORMAT=json
COPY requirements.lock /tmp/requirements.lock
RUN pip install -r /tmp/requirements.lock && rm /tmp/requirements.lock
COPY --from=build /wheels /wheels
RUN pip install --no-deps /wheels/*.whl && rm -rf /wheels \
    && groupadd --system --gid 10001 aduan && useradd --system --uid 10001 --gid aduan --home-dir /srv/aduan --shell /usr/sbin/nologin aduan \
    && aduan init /srv/aduan && chown -R aduan:aduan /srv/aduan/var
WORKDIR /srv/aduan
USER 10001:10001
VOLUME ["/srv/aduan/var"]
EXPOSE 8080 2525
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('ADUAN_HTTP_PORT', '8080') + '/readyz', timeout=4)"]
# Applies pending migrations, then serves; SIGTERM stops intake and drains in-flight work.
CMD ["aduan", "serve"]
