# obexal-runbook in a container: Debian slim, the PostgreSQL client programs of one major (PG_MAJOR, from the
# PostgreSQL project's Debian repository: pg_dump must not be older than the server it dumps), age, Node 24 and the
# single-file bundle. Not built on the machine this was written on (no Docker daemon, no image registry there):
# see README "Installing on a server".
#
#   docker build -t obexal-runbook .                       # in a clone
#   docker run --rm --env-file backup.env -v obexal-backups:/var/backups/obexal obexal-runbook backup --yes
#   contrib/docker/compose.backup.yml runs the daily backup beside Obexal's own compose file.

ARG NODE_MAJOR=24

FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY runbooks ./runbooks
RUN npm run bundle -- /out

FROM node:${NODE_MAJOR}-bookworm-slim AS node

FROM debian:bookworm-slim
ARG PG_MAJOR=17
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl gnupg age tzdata; \
    install -d /usr/share/postgresql-common/pgdg; \
    curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
      https://www.postgresql.org/media/keys/ACCC4CF8.asc; \
    echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list; \
    apt-get update; \
    apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}"; \
    apt-get purge -y curl gnupg; apt-get autoremove -y; rm -rf /var/lib/apt/lists/*
# Node alone (no npm): the bundle needs nothing else.
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=build /out/obexal-runbook.mjs /usr/local/bin/obexal-runbook
COPY contrib/docker/daily-backup.sh /usr/local/bin/obexal-daily-backup
RUN set -eux; \
    useradd --system --uid 10001 --home-dir /var/lib/obexal-runbook --create-home obexal-backup; \
    install -d -m 0700 -o obexal-backup -g obexal-backup /var/backups/obexal /var/lib/obexal-runbook
ENV PATH="/usr/lib/postgresql/${PG_MAJOR}/bin:${PATH}" \
    BACKUP_DIR=/var/backups/obexal \
    OBEXAL_RUNBOOK_CONFIG_DIR=/var/lib/obexal-runbook \
    TZ=UTC
USER obexal-backup
VOLUME ["/var/backups/obexal", "/var/lib/obexal-runbook"]
ENTRYPOINT ["obexal-runbook"]
CMD ["--help"]
