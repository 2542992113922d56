#!/bin/bash
# Times the ResNet-20 and SEP-Net 3x3 pattern layers with two builds or algorithms of opbench,
# alternated, two rounds (the VM's timings drift; alternating keeps the comparison fair).
# usage: benchmarks/native/sweep-lookup-ov.sh OPBENCH_A ALGORITHM_A OPBENCH_B ALGORITHM_B [--5x5]
#   ALGORITHM: 0 auto, 1 xor, 2 lookup, 3 gemm (PATTERN_ALGORITHM of opbench.cpp)
#   --5x5: the SEP-Net 5x5 layers instead of the 3x3 ones
# Prints per shape (n c h w o groups kh kw sh sw ph pw dh dw): implementation and median us of A vs B.
set -euo pipefail
[ $# -eq 4 ] || [ $# -eq 5 ] || { sed -n '2,7p' "$0"; exit 2; }
A=$1; AA=$2; B=$3; BA=$4
shapes=(
"1 64 56 56 192 1 3 3 1 1 1 1 1 1"
"1 96 28 28 128 1 3 3 1 1 1 1 1 1"
"1 128 28 28 192 1 3 3 1 1 1 1 1 1"
"1 96 14 14 208 1 3 3 1 1 1 1 1 1"
"1 112 14 14 224 1 3 3 1 1 1 1 1 1"
"1 128 14 14 256 1 3 3 1 1 1 1 1 1"
"1 144 14 14 288 1 3 3 1 1 1 1 1 1"
"1 160 14 14 320 1 3 3 1 1 1 1 1 1"
"1 160 7 7 320 1 3 3 1 1 1 1 1 1"
"1 192 7 7 384 1 3 3 1 1 1 1 1 1"
"1 16 32 32 32 1 3 3 2 2 1 1 1 1"
"1 32 16 16 32 1 3 3 1 1 1 1 1 1"
"1 32 16 16 64 1 3 3 2 2 1 1 1 1"
"1 64 8 8 64 1 3 3 1 1 1 1 1 1"
"32 16 32 32 32 1 3 3 2 2 1 1 1 1"
"32 32 16 16 32 1 3 3 1 1 1 1 1 1"
"32 32 16 16 64 1 3 3 2 2 1 1 1 1"
"32 64 8 8 64 1 3 3 1 1 1 1 1 1"
"32 128 14 14 256 1 3 3 1 1 1 1 1 1"
"32 192 7 7 384 1 3 3 1 1 1 1 1 1"
)
if [ "${5:-}" = --5x5 ]; then
  shapes=()
  for n in 1 32; do
    for s in "16 28 28 32" "32 28 28 96" "16 14 14 48" "24 14 14 64" "32 14 14 64" "32 14 14 128" "32 7 7 128" "48 7 7 128"; do
      shapes+=("$n $s 1 5 5 1 1 2 2 1 1")
    done
  done
fi
for s in "${shapes[@]}"; do
  set -- $s
  if [ "$1" = 1 ]; then reps=$((20000000 / ($2*$3*$4*$5*9/10+1) + 5)); else reps=$((20000000 / ($2*$3*$4*$5*9*32/10+1) + 3)); fi
  r=""
  for round in 1 2; do
    a=$(PATTERN_ALGORITHM=$AA $A pattern 2 $reps $s | sed 's/native:\([a-z_0-9]*\) .* \([0-9.]*\) us (min.*/\1 \2/')
    b=$(PATTERN_ALGORITHM=$BA $B pattern 2 $reps $s | sed 's/native:\([a-z_0-9]*\) .* \([0-9.]*\) us (min.*/\1 \2/')
    r="$r | $a vs $b"
  done
  echo "$s $r"
done
