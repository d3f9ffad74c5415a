#!/usr/bin/env bash
# Installs everything the build, tests and benchmarks need, idempotently:
# Debian packages (when missing) and a Python venv at .venv (when requirements changed).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config python3-venv
  librocksdb-dev libyaml-cpp-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libzstd-dev libxxhash-dev nlohmann-json3-dev libhiredis-dev redis-server
  libsqlite3-dev libpq-dev libssl-dev zlib1g-dev postgresql openjdk-17-jre-headless curl
  libjemalloc2 libabsl-dev libgrpc++-dev libprotobuf-dev libprotoc-dev protobuf-compiler protobuf-compiler-grpc libcpp-httplib-dev clang libclang-rt-14-dev librdkafka-dev maven
  python3-torch libavro-dev
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
stamp=.venv/.requirements-stamp
if [ ! -x .venv/bin/python ] || ! cmp -s requirements-dev.txt "$stamp"; then
  # A fresh venv whenever the requirements change, so that nothing a removed requirement
  # brought (e.g. an earlier PyPI torch with its CUDA libraries) lingers; the downloaded jars
  # are kept.
  if [ -d .venv ]; then
    echo "setup: requirements changed: recreating the Python venv .venv"
    mkdir -p .venv-keep && for d in jars kafka-jars; do [ -d ".venv/$d" ] && mv ".venv/$d" .venv-keep/; done
    rm -rf .venv
  fi
  echo "setup: creating Python venv .venv"
  "$PY" -m venv .venv
  if [ -d .venv-keep ]; then
    for d in .venv-keep/*; do [ -e "$d" ] && mv "$d" .venv/; done
    rm -rf .venv-keep
  fi
  # No pip cache: on a fresh machine it would only double the disk the wheels take.
  .venv/bin/pip install -q --no-cache-dir --disable-pip-version-check -r requirements-dev.txt
  cp requirements-dev.txt "$stamp"
fi

# PyTorch for `strata.torch`, its tests and the demo: Debian's python3-torch (1.13, CPU, about
# 230 MB), not PyPI's Linux wheel, which brings about 5 GB of CUDA libraries (and ran a CI
# machine out of disk). Only torch's own folders are linked into the venv, not all of Debian's
# dist-packages; a torch the user installed into the venv (e.g. a CUDA wheel) is kept.
TORCH_LINKS=.venv/debian-torch
if [ -d "$TORCH_LINKS" ] || ! .venv/bin/python -c 'import torch' 2>/dev/null; then
  mkdir -p "$TORCH_LINKS"
  for d in /usr/lib/python3/dist-packages/torch /usr/lib/python3/dist-packages/torch-*info \
           /usr/lib/python3/dist-packages/torchgen /usr/lib/python3/dist-packages/functorch; do
    [ -e "$d" ] && ln -sfn "$d" "$TORCH_LINKS/$(basename "$d")"
  done
  SITE=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$(pwd)/$TORCH_LINKS" > "$SITE/debian-torch.pth"
fi

# Jars for the Spark interoperability test (Iceberg's Spark runtime and the SQLite JDBC
# driver), from Maven Central.
JARS=.venv/jars
MAVEN=https://repo1.maven.org/maven2
for jar in org/apache/iceberg/iceberg-spark-runtime-3.5_2.12/1.10.1/iceberg-spark-runtime-3.5_2.12-1.10.1.jar \
           org/xerial/sqlite-jdbc/3.50.3.0/sqlite-jdbc-3.50.3.0.jar; do
  name=$(basename "$jar")
  if [ ! -s "$JARS/$name" ]; then
    mkdir -p "$JARS"
    echo "setup: downloading $name"
    curl -fsSL --retry 3 -o "$JARS/$name.tmp" "$MAVEN/$jar" && mv "$JARS/$name.tmp" "$JARS/$name"
  fi
done

# `import strata` from the venv finds the package in the source tree (its native module is
# built into python/strata/ by `make build`).
SITE=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$(pwd)/python" > "$SITE/strata-src.pth"

# A single-node Kafka broker (KRaft) for the streaming tests and bench/stream_ingest: its jars
# from Maven Central (tests/kafka/pom.xml), about 45 MB.
KAFKA_JARS=.venv/kafka-jars
if [ ! -f "$KAFKA_JARS/.stamp" ] || ! cmp -s tests/kafka/pom.xml "$KAFKA_JARS/.stamp"; then
  echo "setup: fetching the Kafka broker's jars into $KAFKA_JARS"
  rm -rf "$KAFKA_JARS"
  mvn -q -B -f tests/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory="$PWD/$KAFKA_JARS" >/dev/null
  cp tests/kafka/pom.xml "$KAFKA_JARS/.stamp"
fi
