# Multi-stage: the PWA is built with Node, the server runs on python-slim as a non-root user.
FROM node:20-bookworm-slim AS pwa
WORKDIR /build/pwa
COPY pwa/package.json pwa/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY pwa/ ./
RUN npm run build

FROM python:3.11-slim AS server
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    ZOUFANG_INSTANCE_DIR=/data PWA_DIST=/app/pwa/dist
WORKDIR /app
COPY pyproject.toml ./
COPY server/ server/
COPY migrations/ migrations/
RUN pip install --disable-pip-version-check . \
    && useradd --system --uid 10001 --home-dir /app zoufang \
    && mkdir -p /data && chown zoufang /data
COPY --from=pwa /build/pwa/dist /app/pwa/dist
USER zoufang
VOLUME ["/data"]
EXPOSE 8000
# Threaded workers: a slow client holds one thread, not a whole worker (six slow connections took the sync
# workers offline). Put nginx in front in production (README, Security): it buffers slow clients entirely.
CMD ["sh", "-c", "flask --app server db upgrade && exec gunicorn --worker-class gthread --workers ${WEB_CONCURRENCY:-3} --threads ${GUNICORN_THREADS:-8} --timeout 60 --graceful-timeout 20 --keep-alive 5 --limit-request-fields 50 --bind 0.0.0.0:8000 server.wsgi:app"]
