#!/usr/bin/env bash
# Classifies a labeled data set with SepnetClassifier on a Spark master from this machine and prints
# {"images", "top1", "images_per_s", "partitions", "backend", ...} as JSON (docs/spark.md).
#   spark/predict.sh MODEL --data fashion-mnist --master 'local[2]' [--out DIR] [--limit N] [--batch B]
#                    [--partitions N] [--backend NAME] [--threads N] [--repeat R] [--compare]
# Builds and installs the project first when a source is newer than the build (as ./sepnet does).
# Spark comes from Maven here; on a cluster use spark-submit with target/sepnet-spark.jar instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
classes="$root/spark/target/classes"
deps="$root/spark/target/classpath.txt"

if [[ ! -f "$deps" || -n "$(find "$root/java/src/main" "$root/spark/src/main" "$root/native" "$root/cuda" "$root/cmake" \
        "$root/CMakeLists.txt" "$root/pom.xml" "$root/java/pom.xml" "$root/spark/pom.xml" -newer "$deps" -print -quit)" ]]; then
  echo "predict: building the library and the Spark module (first use, or sources changed)..." >&2
  if ! (cd "$root" && mvn -B -q -DskipTests -pl spark -am install) >&2; then
    echo "predict: the build failed; run 'mvn -B -DskipTests -pl spark -am install' to see why" >&2
    exit 1
  fi
  touch "$deps"
fi
classpath="$classes:$(cat "$deps")"
# shellcheck disable=SC2046  # Spark's JVM options are several words on purpose
exec java $(java -cp "$classpath" org.sepnet.spark.SparkJvmOptions) -Dlog4j2.configurationFile="$root/spark/conf/log4j2.properties" \
  ${SEPNET_JAVA_OPTS:-} -cp "$classpath" org.sepnet.spark.Predict "$@"
