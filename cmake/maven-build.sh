#!/usr/bin/env bash
# Maven's step that builds the kernels (java/pom.xml runs it after javac): CMake configure and
# build, with the compilers' output kept in target/cmake-build.log and one summary line printed
# (everything with -Dsepnet.verbose=true). Without CMake the jar is still built, without the
# kernels: build-info.properties records why, and the backends that need them say so.
#   maven-build.sh CMAKE SOURCE_DIR BUILD_DIR CLASSES_DIR VERBOSE [cmake -D options...]
set -uo pipefail
cmake_exe=$1 source=$2 build=$3 classes=$4 verbose=$5
shift 5
log="$build/../cmake-build.log"
mkdir -p "$build" "$classes/org/sepnet"

required() {  # required NAME: whether -DSEPNET_NAME=ON was passed
  [[ " $* " == *" -DSEPNET_$1=ON "* ]]
}

if ! command -v "$cmake_exe" >/dev/null 2>&1; then
  reason="CMake ('$cmake_exe') was not found when this jar was built"
  for product in NATIVE CUDA; do
    if required "$product" "$@"; then
      echo "sepnet: -Dsepnet.${product,,}=ON but $reason" >&2
      exit 1
    fi
  done
  printf 'native.library=skipped\nnative.reason=%s\ncuda.fatbin=skipped\ncuda.reason=%s\n' "$reason" "$reason" \
    > "$classes/org/sepnet/build-info.properties"
  echo "sepnet: $reason: built the jar without the native CPU library and the CUDA kernels (the reference backend runs)"
  exit 0
fi

run() {
  if [[ "$verbose" == true ]]; then
    "$@" 2>&1 | tee -a "$log"
  else
    "$@" >> "$log" 2>&1
  fi
}

: > "$log"
if ! run "$cmake_exe" -S "$source" -B "$build" "$@" || ! run "$cmake_exe" --build "$build" --parallel; then
  echo "sepnet: the kernel build failed; the last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
info="$classes/org/sepnet/build-info.properties"
state() {  # state PRODUCT: built, or skipped with the reason
  local v r
  v=$(sed -n "s/^$1=//p" "$info")
  r=$(sed -n "s/^${1%%.*}.reason=//p" "$info")
  [[ "$v" == built ]] && echo built || echo "skipped: $r"
}
echo "sepnet: native CPU library $(state native.library); CUDA fatbin $(state cuda.fatbin); compiler output in $(cd "$(dirname "$log")" && pwd)/cmake-build.log"
