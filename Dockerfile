# syntax=docker/dockerfile:1
# The voice server as a container image: build with the Swift 6.3 toolchain, run on a slim Ubuntu as a non-root
# user. `docker build -t voice-server .`; see docs/deploy.md (issue 16) for running it.

# ---- build ----
FROM swift:6.3-noble AS build
# FoundationNetworking links libcurl: its development files are needed to link the Swift runtime statically.
RUN apt-get update -q && apt-get install -y -q --no-install-recommends libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# Dependencies first, in their own layer, so a source change does not fetch them again.
COPY Package.swift ./
RUN swift package resolve
# The test targets' folders too: the manifest declares them, and SwiftPM checks every target's folder exists.
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product voice-server
# The binary, its resource bundles beside it (Bundle.module looks there), and the crash backtracer.
WORKDIR /staging
RUN cp "$(swift build --package-path /build -c release --show-bin-path)/voice-server" ./ \
    && find -L "$(swift build --package-path /build -c release --show-bin-path)/" -maxdepth 1 -name '*.resources' \
        -exec cp -Ra {} ./ \; \
    && cp /usr/libexec/swift/linux/swift-backtrace-static ./

# ---- run ----
FROM ubuntu:noble
# TLS to OpenAI and Twilio, time zones for BUSINESS_TIMEZONE, and the libraries Foundation loads at run time.
RUN apt-get update -q && apt-get install -y -q --no-install-recommends ca-certificates tzdata libcurl4 libxml2 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app voice
WORKDIR /app
COPY --from=build --chown=voice:voice /staging /app
ENV SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=./swift-backtrace-static
ENV HOST=0.0.0.0 PORT=8080 DATABASE_URL=/app/data/bookings.sqlite
RUN mkdir -p /app/data && chown voice:voice /app/data
USER voice:voice
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s CMD ["./voice-server", "healthcheck"]
# Exec form: the server is PID 1 and gets SIGTERM itself, so a deploy drains calls (DRAIN_SECONDS).
ENTRYPOINT ["./voice-server"]
CMD ["serve", "--env-file", "/nonexistent"]
