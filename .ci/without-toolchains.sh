#!/usr/bin/env bash
# A machine without CMake (so without the C++ and CUDA builds) still builds the library and the
# command line, its tests pass on the reference backend, and `sepnet info` says why the native and
# CUDA backends are missing. Builds a copy of HEAD in a temporary worktree.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work="$(mktemp -d)"
trap 'git worktree remove --force "$work" >/dev/null 2>&1 || rm -rf "$work"' EXIT
git worktree add --detach "$work" HEAD >/dev/null
cd "$work"
mvn -B -q -Dsepnet.cmake=no-such-cmake -DskipTests package -pl cli -am
mvn -B -q -Dsepnet.cmake=no-such-cmake -pl java surefire:test \
  -Dtest='BackendsTest,ReferenceConvTest,ModelFileTest,ModelFileInputTest,PredictorTest,LayersTest'
info="$(java -jar cli/target/sepnet-cli.jar info)"
for backend in native cuda; do
  if ! grep -E "^$backend +unavailable .*CMake \('no-such-cmake'\) was not found" <<<"$info" >/dev/null; then
    echo "without-toolchains: '$backend' does not say that CMake was missing:" >&2
    echo "$info" >&2
    exit 1
  fi
done
echo "without-toolchains: built and tested without CMake; native and CUDA unavailable, saying why"
