# The token server's image. Two stages: the official Rust image builds the binary; distroless
# `cc` runs it. Distroless rather than Debian slim: the binary needs glibc and libgcc and nothing
# else (TLS is rustls, SQLite is compiled in), and an image with no shell, package manager or
# setuid binaries leaves an intruder nothing to work with; it also keeps the image small.
#
#   docker build -t twilio-token .
#
# The base images are build arguments, for registries of your own (and for the test, which
# makes stand-ins from Debian's packages: scripts/docker_bases.sh).
ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
# The caches keep crates and compiled dependencies between builds; the binary is copied out
# of them, stripped of its symbols.
RUN --mount=type=cache,target=/cargo-home \
    --mount=type=cache,target=/src/target \
    CARGO_HOME=/cargo-home CARGO_PROFILE_RELEASE_STRIP=symbols \
    cargo build --release --locked -p twilio-token-cli \
    && mkdir -p /out/data \
    && cp target/release/twilio-token /out/twilio-token

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/twilio-token /usr/local/bin/twilio-token
# The database's folder, owned by the server's user: a volume mounted here starts with it.
COPY --from=build --chown=65532:65532 /out/data /data
# distroless's nonroot; numeric, so that Kubernetes' runAsNonRoot can check it.
USER 65532:65532
WORKDIR /data
# Configured by the environment (and mounted files it names): the Twilio credentials
# (TWILIO_ACCOUNT_SID, TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET or TWILIO_TOKEN_API_KEYS),
# DATABASE_URL, TWILIO_TOKEN_POLICY, TWILIO_TOKEN_ISSUERS and the rest of `serve --help`.
ENV TWILIO_TOKEN_BIND=0.0.0.0:5000 \
    DATABASE_URL=sqlite:///data/twilio-token.db \
    TWILIO_TOKEN_LOG_FORMAT=json
VOLUME /data
EXPOSE 5000
# No shell or curl in the image: the binary asks its own /readyz (at TWILIO_TOKEN_BIND).
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/twilio-token", "health"]
# The server is PID 1: SIGTERM turns /readyz to 503, drains for TWILIO_TOKEN_DRAIN_SECONDS
# (default 5; keep `docker stop`'s timeout above it), then exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/twilio-token"]
CMD ["serve"]
