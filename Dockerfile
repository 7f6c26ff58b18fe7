# kafka-perf-exporter container image: a build stage with the -dev packages, a final stage with only the
# runtime libraries. See docs/deployment.md.
#
#   docker build -t kafka-perf-exporter:0.1.0 .
#   docker run --rm -p 9308:9308 kafka-perf-exporter:0.1.0 --kafka.server=broker1:9092
#   docker run --rm -p 9308:9308 -v "$PWD/my-config.yaml:/etc/kafka-perf-exporter/config.yaml:ro" \
#     kafka-perf-exporter:0.1.0
#
# The entrypoint adds --config=/etc/kafka-perf-exporter/config.yaml when that file exists (and the
# arguments name no other --config); any arguments are passed on as flags, which override the file.
# Without servers in the flags or the file, the exporter watches its embedded demo cluster.
# tests/system/deploy_docker_test.sh checks this file (no Docker engine needed).

FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh \
 && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt CMakeLists.txt
COPY src/ src/
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DKPE_BUILD_TESTS=OFF -DKPE_BUILD_BENCH=OFF \
 && cmake --build build --target kafka-perf-exporter -j"$(nproc)" \
 && strip build/kafka-perf-exporter \
 && ./build/kafka-perf-exporter --version

FROM debian:bookworm-slim
# One package per shared library the binary needs (tests/system/deploy_docker_test.sh maps `ldd` of the
# built binary to packages with dpkg -S and checks they are here or their dependencies):
#   librdkafka1 (librdkafka.so.1; brings libssl3, libsasl2-2, liblz4-1, libzstd1), libprometheus-cpp-core1.0,
#   libyaml-cpp0.7, libspdlog1.10, libfmt9, libre2-9, zlib1g; libsimdjson14 (client statistics ingest),
#   libssl3 and libcrypt1 (TLS and bcrypt basic auth of the web endpoints); libstdc++6, libgcc-s1 and libc6
#   come with the base image. ca-certificates: the system CA bundle for SSL/SASL_SSL brokers that
#   present publicly signed certificates (managed Kafka services).
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      librdkafka1 \
      libprometheus-cpp-core1.0 \
      libyaml-cpp0.7 \
      libspdlog1.10 \
      libfmt9 \
      libre2-9 \
      zlib1g \
      libsimdjson14 \
      libssl3 \
      libcrypt1 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 kpe \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin kpe \
 && mkdir -p /etc/kafka-perf-exporter

COPY --from=build /src/build/kafka-perf-exporter /usr/local/bin/kafka-perf-exporter
COPY deploy/docker/entrypoint.sh /usr/local/bin/kpe-entrypoint
COPY deploy/docker/healthcheck.sh /usr/local/bin/kpe-healthcheck
COPY config/kafka-perf-exporter.yaml /usr/share/kafka-perf-exporter/config.example.yaml

# Numeric, so that Kubernetes' runAsNonRoot can verify it without an /etc/passwd lookup.
USER 10001:10001
EXPOSE 9308
# A bash /dev/tcp probe rather than curl or wget: it needs no package (curl would add libcurl and about
# 20 libraries to the image), and it checks the HTTP status line, not only that the port is open.
# It probes 127.0.0.1:9308 over plain HTTP: set KPE_HEALTHCHECK_ADDRESS when --web.listen-address moves
# the port. Kubernetes ignores HEALTHCHECK and uses the pod's probes instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/kpe-healthcheck"]
ENTRYPOINT ["/usr/local/bin/kpe-entrypoint"]
