# 走访通 Zoufang image. Stages: the PWA built with Node; its assets compressed once (.br/.gz); the proxy (Debian's
# nginx with brotli, deploy/nginx/zoufang.conf, the same build's assets); the server (last, the default target).
#
#   docker build -t zoufang .                          the server: gunicorn by default, and every flask command:
#   docker run … zoufang flask --app server db upgrade          migrations (once per release, before the web)
#   docker run … zoufang flask --app server reminders run       the reminder dispatcher (same image)
#   docker run … zoufang flask --app server create-admin …      the first administrator
#   docker build --target proxy -t zoufang-proxy .     nginx for deploy/compose.yaml (upstreams web1, web2)
#
# No secret is in any layer: the build context is an allowlist (.dockerignore), and the keys come from the
# environment or are made in the database at first start (server/keys.py). Guide: deploy/README.md.

FROM node:20-bookworm-slim AS pwa
WORKDIR /build/pwa
COPY pwa/package.json pwa/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY pwa/ ./
RUN npm run build

FROM python:3.11-slim-bookworm AS assets
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install brotli==1.2.1
COPY deploy/precompress.py /precompress.py
COPY --from=pwa /build/pwa/dist /dist
RUN python /precompress.py /dist/assets

FROM debian:bookworm-slim AS proxy
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx libnginx-mod-http-brotli-filter \
       libnginx-mod-http-brotli-static \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
    && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log \
    && mkdir -p /var/www/acme /etc/zoufang/tls
COPY deploy/nginx/zoufang.conf /etc/nginx/sites-enabled/zoufang.conf
# Under compose the instances are the services web1 and web2 (the systemd install's 127.0.0.1:8001/8002).
RUN sed -i -e 's/server 127\.0\.0\.1:8001 /server web1:8000 /' -e 's/server 127\.0\.0\.1:8002 /server web2:8000 /' \
        /etc/nginx/sites-enabled/zoufang.conf \
    && grep -q 'server web1:8000 ' /etc/nginx/sites-enabled/zoufang.conf \
    && grep -q 'server web2:8000 ' /etc/nginx/sites-enabled/zoufang.conf
COPY --from=assets /dist /opt/zoufang/pwa/dist
EXPOSE 80 443
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]

FROM python:3.11-slim-bookworm AS server
# fonts-wqy-microhei: Chinese text in the documents the server renders (reports, briefings, archives).
# libpango-1.0-0, libpangoft2-1.0-0, libharfbuzz-subset0: WeasyPrint, which makes the archive PDFs.
# postgresql-client: pg_dump for `flask --app server backup` of a PostgreSQL database.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei fontconfig postgresql-client \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ZOUFANG_INSTANCE_DIR=/data ATTACHMENTS_DIR=/data/attachments PWA_DIST=/app/pwa/dist \
    ZOUFANG_BIND=0.0.0.0:8000 FLASK_APP=server
WORKDIR /app
COPY pyproject.toml ./
COPY server/ server/
COPY migrations/ migrations/
COPY deploy/gunicorn.conf.py deploy/
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin zoufang \
    && mkdir -p /data/attachments && chown -R zoufang /data
COPY --from=assets /dist /app/pwa/dist
USER zoufang
VOLUME ["/data"]
EXPOSE 8000
# 200 only while this instance answers and its database does (GET /api/health runs SELECT 1; 503 otherwise).
# A container running another command of the image (the dispatcher) turns this off (compose: healthcheck).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4)"]
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "server.wsgi:app"]
