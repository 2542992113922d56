#!/usr/bin/env bash
# A machine without CMake (so without the C++ and CUDA builds) still builds the library and the
# command line, its tests pass on the reference backend, and `sepnet info` says why the native and
# CUDA backends are missing; the same with CMake but no C++ compiler. Builds a copy of HEAD in a
# temporary worktree.
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

# CMake present, no C++ compiler (so no host compiler for nvcc either): built, both products skipped, saying why.
rm -rf java/target/cmake java/target/classes/org/sepnet/build-info.properties
CXX=/no-such-compiler/c++ mvn -B -q -DskipTests package -pl cli -am
info="$(java -jar cli/target/sepnet-cli.jar info)"
if ! grep -E "^native +unavailable .*no C\+\+ compiler" <<<"$info" >/dev/null \
    || ! grep -E "^cuda +unavailable .*host C\+\+ compiler" <<<"$info" >/dev/null; then
  echo "without-toolchains: without a C++ compiler, native and cuda do not say so:" >&2
  echo "$info" >&2
  exit 1
fi
echo "without-toolchains: built without a C++ compiler; native and CUDA unavailable, saying why"
