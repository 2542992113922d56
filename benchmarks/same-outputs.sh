#!/usr/bin/env bash
# Checks that a change left behaviour alone: the command line of commit REF and of the working tree
# write the same model files and the same network outputs, byte for byte, for every zoo model
# (float, binarized, binarized + int8) and for the SEP-Nets authors' ResNet-20 when the fixture is
# there, on the native backend (and the reference backend for ResNet-20), on seeded random images
# run in batches that do not divide the image count.
#
#   benchmarks/same-outputs.sh REF [--models a,b,...]
#
# REF is built in a temporary git worktree (cached by commit under $TMPDIR/sepnet-same-outputs);
# the working tree is built by ./sepnet. Exit status 0 when everything matches, 1 listing what
# differs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $# -ge 1 ]] || { sed -n '2,13p' "$0"; exit 2; }
ref="$(git -C "$root" rev-parse --verify "$1^{commit}")"
shift
models=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    *) echo "same-outputs.sh: unknown argument '$1'; expected --models a,b,..." >&2; exit 2 ;;
  esac
done

cache="${TMPDIR:-/tmp}/sepnet-same-outputs"
base="$cache/$ref"
# The command line is its own module since the library/CLI split; older revisions built it in java/.
cli_jar() { if [[ -d "$1/cli" ]]; then echo "$1/cli/target/sepnet-cli.jar"; else echo "$1/java/target/sepnet-cli.jar"; fi; }
if [[ ! -f "$base/cli/target/sepnet-cli.jar" && ! -f "$base/java/target/sepnet-cli.jar" ]]; then
  echo "same-outputs.sh: building $ref in $base ..." >&2
  mkdir -p "$cache"
  git -C "$root" worktree remove --force "$base" 2>/dev/null || rm -rf "$base"
  git -C "$root" worktree add --detach "$base" "$ref" >/dev/null
  module=java; [[ -d "$base/cli" ]] && module=cli
  (cd "$base" && mvn -B -q -DskipTests -pl "$module" -am package >"$cache/$ref.log" 2>&1) \
    || { echo "same-outputs.sh: building $ref failed; see $cache/$ref.log" >&2; exit 1; }
fi
"$root/sepnet" info >/dev/null  # builds the working tree when stale

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
opts=(-Dsepnet.threads=2)
old() { java "${opts[@]}" -jar "$(cli_jar "$base")" "$@"; }
new() { java "${opts[@]}" -jar "$(cli_jar "$root")" "$@"; }

# Seeded images as float32 .npy, without numpy.
images() {  # images FILE N C H W SEED
  python3 - "$@" <<'EOF'
import random, struct, sys
path, n, c, h, w, seed = sys.argv[1], *map(int, sys.argv[2:])
r = random.Random(seed)
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d, %d, %d), }" % (n, c, h, w)
header += " " * (63 - (len(header) + 10) % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<%df" % (n * c * h * w), *(r.uniform(-2, 2) for _ in range(n * c * h * w))))
EOF
}

differ=()
same=0
compare() {  # compare LABEL FILE_A FILE_B
  if cmp -s "$2" "$3"; then same=$((same + 1)); else differ+=("$1"); echo "DIFFERS: $1" >&2; fi
}

# Writes the model files with both builds and compares them; echoes the old build's file names.
files() {  # files NAME SOURCE
  local n="$1" src="$2"
  for side in old new; do
    mkdir -p "$work/$side"
    $side import "$src" -o "$work/$side/$n.sepnet" >/dev/null
    $side binarize "$src" -o "$work/$side/$n-b.sepnet" --keep-first >/dev/null
    $side quantize "$work/$side/$n-b.sepnet" -o "$work/$side/$n-bq.sepnet" >/dev/null
  done
  for f in "$n.sepnet" "$n-b.sepnet" "$n-bq.sepnet"; do compare "file $f" "$work/old/$f" "$work/new/$f"; done
}

outputs() {  # outputs FILE INPUT BACKEND BATCH
  local label
  label="$(basename "$1") on $3 (batch $4)"
  old run "$1" --input "$2" --output "$work/old.npy" --backend "$3" --batch "$4" >/dev/null
  new run "$1" --input "$2" --output "$work/new.npy" --backend "$3" --batch "$4" >/dev/null
  compare "outputs of $label" "$work/old.npy" "$work/new.npy"
}

list="${models:-sepnet-small,sepnet-large,resnet20,resnet32,resnet44,resnet56,googlenet,mobilenet-0.5,mobilenet-0.75,mobilenet-1.0,squeezenet}"
IFS=, read -r -a zoo <<< "$list"
fixture="$root/../shared/fixtures/resnet20_cifar10_authors.caffemodel"
[[ -n "$models" || ! -f "$fixture" ]] || zoo+=("$fixture")
for m in "${zoo[@]}"; do
  name="$(basename "$m" .caffemodel)"
  echo "same-outputs.sh: $name" >&2
  files "$name" "$m"
  read -r -a dims <<< "$(new summary "$work/new/$name.sepnet" --json | sed -E 's/.*"input": "([0-9x]+)".*/\1/' | tr x ' ')"
  images "$work/x.npy" 5 "${dims[@]}" 7
  for v in "" -b -bq; do
    outputs "$work/old/$name$v.sepnet" "$work/x.npy" native 2
  done
  if [[ "$name" == resnet20* ]]; then
    outputs "$work/old/$name-b.sepnet" "$work/x.npy" reference 3
  fi
done

echo "same-outputs.sh: $same identical, ${#differ[@]} different (old: $ref, new: working tree)"
[[ ${#differ[@]} -eq 0 ]]
