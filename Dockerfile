# syntax=docker/dockerfile:1
# Stockroom service image.
#   docker build -t stockroom .
#   docker run --rm stockroom --help
# See docker-compose.yml for PostgreSQL + MongoDB + the service.

# ------------------------------------------------------------------ builder
FROM rust:1-bookworm AS builder
WORKDIR /src

# 1. Dependencies only, cached until Cargo.toml / Cargo.lock / build.rs change.
#    (build.rs* : the glob lets the build work whether or not build.rs exists.)
#    Targets declared with an explicit path (e.g. [[test]] api) get dummy files too.
COPY Cargo.toml Cargo.lock build.rs* ./
RUN set -eux; \
    mkdir -p src diesel_migrations mongo_indexes; \
    echo 'fn main() {}' > src/main.rs; \
    for p in $(sed -nE 's/^[[:space:]]*path[[:space:]]*=[[:space:]]*"([^"]+)".*/\1/p' Cargo.toml); do \
        mkdir -p "$(dirname "$p")"; [ -e "$p" ] || echo 'fn main() {}' > "$p"; \
    done; \
    cargo build --release --locked; \
    rm -rf src target/release/.fingerprint/stockroom-* target/release/deps/stockroom-* \
        target/release/deps/libstockroom-* \
        target/release/stockroom target/release/stockroom.d

# 2. The real sources.
COPY src ./src
COPY diesel_migrations ./diesel_migrations
COPY mongo_indexes ./mongo_indexes
RUN set -eux; \
    touch src/main.rs; \
    cargo build --release --locked; \
    cp target/release/stockroom /usr/local/bin/stockroom

# ------------------------------------------------------------------ runtime
FROM debian:bookworm-slim AS runtime
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --system --gid 10001 stockroom; \
    useradd --system --uid 10001 --gid stockroom --home-dir /app --shell /usr/sbin/nologin stockroom

WORKDIR /app
# The binary carries its migrations and MongoDB index specs.
COPY --from=builder /usr/local/bin/stockroom /usr/local/bin/stockroom

ENV BIND_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json \
    RUST_LOG=info

USER stockroom:stockroom
EXPOSE 8080
# curl is installed for this (and for the compose healthcheck).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=5 \
    CMD curl -fsS http://127.0.0.1:8080/health/ready >/dev/null || exit 1
ENTRYPOINT ["stockroom"]
CMD ["serve"]
