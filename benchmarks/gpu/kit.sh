#!/usr/bin/env bash
# Prepares everything the GPU check needs on a GPU machine that has no Java and no network:
# a jlink Java runtime, the library jar (CUDA fatbin and native CPU library inside), the test and
# benchmark classes and their dependencies, JUnit's console launcher. Run it on a build machine
# (Java 17 with jlink, Maven, nvcc); copy the result (about 45 MiB) next to the repository there.
#
#   benchmarks/gpu/kit.sh [KIT_DIR]      default KIT_DIR: .gpu-kit in the repository root
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kit="${1:-$root/.gpu-kit}"
junit_console="org.junit.platform:junit-platform-console-standalone:1.14.4"

cd "$root"
echo "kit.sh: building the library, the tests and the benchmarks..." >&2
mvn -B -q -DskipTests package >&2
mvn -B -q -pl java jar:test-jar >&2

rm -rf "$kit"
mkdir -p "$kit/lib"
# Runtime dependencies of the benchmarks (the library and its own dependencies among them), without
# the CPU peers (ONNX Runtime, PyTorch through DJL) and the chart renderer, which the GPU check does not use.
mvn -B -q -pl benchmarks -am dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$kit/lib" \
  -DexcludeArtifactIds=onnxruntime,jfreechart -DexcludeGroupIds=ai.djl,ai.djl.pytorch >&2
mvn -B -q dependency:copy -Dartifact="$junit_console" -DoutputDirectory="$kit/lib" >&2
cp benchmarks/target/sepnet-benchmarks-*.jar "$kit/lib/"
rm -f "$kit"/lib/sepnet-0*.jar
cp java/target/sepnet-0.1.0-SNAPSHOT.jar java/target/sepnet-0.1.0-SNAPSHOT-tests.jar "$kit/lib/"
# JCuda's PTX compiler and NVRTC bindings (24 MB) are not used: the kernels are a prebuilt fatbin.
for j in "$kit"/lib/jcuda-natives-*.jar; do
  zip -q -d "$j" 'lib/libJNvPTXCompiler-*' 'lib/libJNvrtc-*' >/dev/null 2>&1 || true
done
# Of the CUDA preset's JNI libraries only cudart, cublas and cudnn are loaded.
for j in "$kit"/lib/cuda-*-linux-x86_64.jar; do
  zip -q -d "$j" 'org/bytedeco/cuda/linux-x86_64/libjninpp*' 'org/bytedeco/cuda/linux-x86_64/libjnicusolver*' \
    'org/bytedeco/cuda/linux-x86_64/libjnicusparse*' 'org/bytedeco/cuda/linux-x86_64/libjnicufft*' \
    'org/bytedeco/cuda/linux-x86_64/libjninvjpeg*' 'org/bytedeco/cuda/linux-x86_64/libjnicurand*' \
    'org/bytedeco/cuda/linux-x86_64/libjninvrtc*' 'org/bytedeco/cuda/linux-x86_64/libjnicupti*' \
    'org/bytedeco/cuda/linux-x86_64/libjninccl*' 'org/bytedeco/cuda/linux-x86_64/libjninvcomp*' >/dev/null 2>&1 || true
done

jlink --add-modules java.base,java.logging,java.management,jdk.management,jdk.unsupported,java.xml,java.naming \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$kit/jre"
git rev-parse --short HEAD > "$kit/COMMIT" 2>/dev/null || echo unknown > "$kit/COMMIT"
if [[ -n "$(git status --porcelain 2>/dev/null)" ]]; then echo "$(cat "$kit/COMMIT") (with uncommitted changes)" > "$kit/COMMIT"; fi
du -sh "$kit" >&2
