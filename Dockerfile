# Clientele: one image for every process (serve, worker, migrate, secrets, user, seed).
#   docker build -t clientele .      (docker compose up builds it too)

# --- build: the official Swift image, plus the C libraries our system-library targets link -------------
# The toolchain CI builds and tests with; `--build-arg SWIFT_IMAGE=…` to change.
ARG SWIFT_IMAGE=swift:6.3.1-bookworm
FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev libcurl4-openssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a change in Sources/ does not fetch them again: every package of the graph at the
# version the tests ran with (Package.versions; scripts/package-versions.sh says why it is not Package.resolved).
COPY Package.swift Package.versions ./
COPY scripts/package-versions.sh ./scripts/
RUN scripts/package-versions.sh resolved > Package.resolved \
 && swift package resolve --force-resolved-versions
# Package.swift declares the test targets as well, so their folders must exist; only the product is built.
# The build plugin (Plugins/) compiles sql/migrations into the binary through Sources/SQLMigrations' link to it.
COPY Tests ./Tests
COPY Plugins ./Plugins
COPY Sources ./Sources
COPY sql ./sql
COPY release-toolset.json ./
# The same link as `make build-release` (see release-toolset.json), so the image runs what `make bench` measured;
# stripped (symbols are half the binary's size and nothing at run time reads them).
RUN swift build -c release --static-swift-stdlib --toolset release-toolset.json --product clientele \
      --force-resolved-versions \
 && mkdir -p /out \
 && strip -o /out/clientele "$(swift build -c release --static-swift-stdlib --toolset release-toolset.json --show-bin-path)/clientele"

# --- run: Debian slim with the shared libraries libpq and libcurl need, no compiler ------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 libcurl4 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin clientele \
 && install -d -o clientele -g clientele -m 0700 /secrets
WORKDIR /app
COPY --from=build /out/clientele /usr/local/bin/clientele
USER clientele
# The migrations are compiled into the binary (MIGRATIONS_DIR would name a folder to apply instead).
# The worker rewrites WORKER_HEARTBEAT_FILE while it reaches the database; `clientele worker --check` reads it.
# /secrets: where `clientele secrets` keeps the generated ones (compose mounts a volume there, which Docker
# creates owned by clientele and mode 0700, as this folder is).
ENV WORKER_HEARTBEAT_FILE=/tmp/clientele-worker.heartbeat \
    PORT=9000
EXPOSE 9000
# For `serve` (the default command); compose gives the worker and migrate their own.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/health" >/dev/null || exit 1
ENTRYPOINT ["clientele"]
CMD ["serve"]
