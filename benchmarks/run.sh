#!/usr/bin/env bash
# The CPU benchmark suite: per-op (pattern conv, 1x1 / group / depthwise conv, fused PRB) on the
# shapes in benchmarks/shapes/, whole networks (ours against ONNX Runtime and PyTorch in the same
# run), and training steps (ours against PyTorch; the reference once each); then a markdown report
# with PNG charts.
#
#   benchmarks/run.sh            full run: every shape at batch 1 and 32 (about an hour on 2 cores)
#   benchmarks/run.sh --quick    ResNet-20 and SEP-Net shapes at batch 1, networks at batch 1, no training (under 4 minutes)
#   benchmarks/run.sh --train    the training steps alone (about 15 minutes), re-rendered into the CPU report with the
#                                last full run's op and network results (raw JSON kept from it); the report's date and
#                                commit lines then name both runs
#
# Output: the full run overwrites the CPU report, benchmarks/results/cpu.md, and its charts
# (cpu-*.png); the report names its commit, date and command. A quick run writes
# benchmarks/results/raw/cpu-quick.md. JMH's JSON goes to benchmarks/results/raw/ (not tracked).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/benchmarks/target/benchmarks.jar"
shapes="$root/benchmarks/shapes"

quick=false
train_only=false
for arg in "$@"; do
  case "$arg" in
    --quick) quick=true ;;
    --train) train_only=true ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg'; expected --quick or --train" >&2; exit 2 ;;
  esac
done
if $quick && $train_only; then echo "run.sh: --quick and --train exclude each other" >&2; exit 2; fi

if [[ ! -f "$jar" || -n "$(find "$root/java/src/main" "$root/benchmarks/src/main" "$root/native" -newer "$jar" -print -quit)" ]]; then
  echo "run.sh: building the benchmarks..." >&2
  (cd "$root" && mvn -B -q -DskipTests package) >&2
fi

raw="$root/benchmarks/results/raw"
mkdir -p "$raw"
if $quick; then name=cpu-quick; report="$raw/cpu-quick"; else name=cpu; report="$root/benchmarks/results/cpu"; fi
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ]]; then commit="$commit (with uncommitted changes)"; fi
list() { java -cp "$jar" org.sepnet.bench.Shapes list "$@"; }

if $quick; then
  jmh=(-f 1 -wi 1 -w 300ms -i 3 -r 300ms)
  ops="$(list --batch 1 "$shapes/resnet20.txt" "$shapes/sepnet.txt")"
  ref="$(list --batch 1 "$shapes/resnet20.txt")"
  batches=1
else
  jmh=()
  ops="$(list "$shapes"/*.txt)"
  ref="$(list --batch 1 --max-macs 5e7 "$shapes"/*.txt)"
  batches=1,32
fi

# The machine's multiply-add peak, the report's denominator for "share of peak" (skipped, with a
# message, where the native library cannot load); --train keeps the one its op rows were divided by.
if $train_only; then
  peak="$(sed -n 's/^- Peak: \([0-9.]*\) GFLOP.*/\1/p' "$report.md" | head -1)"
else
  peak="$(java -cp "$jar" org.sepnet.bench.Peak || true)"
fi
peak_args=()
if [[ -n "$peak" ]]; then peak_args=(--peak "$peak"); fi

results=("$raw/$name-ops.json" "$raw/$name-reference.json" "$raw/$name-networks.json")
stamp=()
if $train_only; then
  for f in "${results[@]}"; do
    [[ -s "$f" ]] || { echo "run.sh: --train needs the last full run's $f; run benchmarks/run.sh first" >&2; exit 1; }
  done
  last="$report.md"
  before_date="$(sed -n 's/^- Date: //p' "$last" | head -1 | sed 's/ (.*//')"
  before_commit="$(sed -n 's/^- Commit: //p' "$last" | head -1 | sed 's/ (ops.*//')"
  stamp=(--date "$before_date (ops, networks); $(date -u '+%Y-%m-%d %H:%M UTC') (training steps)"
         --commit "$before_commit (ops, networks); $commit (training steps)"
         --command "benchmarks/run.sh (ops, networks), then benchmarks/run.sh --train (training steps)")
else
  # The first case, a 1x1x1x1 convolution, measures each implementation's fixed cost per call.
  ops="conv:n1_g1_ic1oc1_ih1iw1_kh1kw1_sh1sw1_ph0pw0,$ops"
  # Fully qualified names: JMH takes a regular expression, and OpBenchmark alone matches GpuOpBenchmark too.
  run() { java -jar "$jar" "$@" "${jmh[@]}" -rf json; }
  run org.sepnet.bench.OpBenchmark -p problem="$ops" -p runtime=native,onnxruntime -rff "$raw/$name-ops.json"
  run org.sepnet.bench.OpBenchmark -p problem="$ref" -p runtime=reference -rff "$raw/$name-reference.json"
  run org.sepnet.bench.NetworkBenchmark -p batch="$batches" -rff "$raw/$name-networks.json"
  stamp=(--commit "$commit" --command "benchmarks/run.sh $*")
fi

# Training steps: ResNet-20 (1x28x28) at batch 128, SEP-Net-B small at batch 16; the reference
# (minutes per step) once each, without warm-up.
memory="$raw/$name-train-memory.tsv"
if ! $quick; then
  rm -f "$memory"
  train() { java -Dsepnet.bench.memory="$memory" -jar "$jar" org.sepnet.bench.TrainStepBenchmark "$@" -rf json; }
  train -p model=resnet20,resnet20-refine -p batch=128 -p runtime=native,pytorch -rff "$raw/$name-train-resnet.json"
  train -p model=sepnet-b-small -p batch=16 -p runtime=native,pytorch -rff "$raw/$name-train-sepnet.json"
  train -p model=resnet20,resnet20-refine -p batch=128 -p runtime=reference -wi 0 -i 1 -r 1ms -rff "$raw/$name-train-reference.json"
  train -p model=sepnet-b-small -p batch=16 -p runtime=reference -wi 0 -i 1 -r 1ms -rff "$raw/$name-train-reference-sepnet.json"
  results+=("$raw/$name-train-resnet.json" "$raw/$name-train-sepnet.json" "$raw/$name-train-reference.json"
            "$raw/$name-train-reference-sepnet.json")
fi

java -cp "$jar" org.sepnet.bench.Render --out "$report" \
  --title "CPU benchmarks$($quick && echo ' (quick)' || true): sepnet native vs ONNX Runtime and PyTorch" \
  "${stamp[@]}" \
  ${peak_args[@]+"${peak_args[@]}"} \
  "${results[@]}"

if [[ -s "$memory" ]]; then
  {
    echo
    echo "## Training-step memory"
    echo
    echo "After the timed steps, per trial: the training graph's buffers (\`TrainingGraph.memoryBytes()\`: parameters, gradients,"
    echo "saved activations and their gradients, kernel scratch) and the growth of the JVM's resident memory since before the"
    echo "graph (or PyTorch's model) was built (VmRSS, which includes the JVM's own heap growth)."
    echo
    echo "| model | runtime | batch | graph buffers (MB) | resident growth (MB) |"
    echo "|---|---|---|---|---|"
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %.1f |\n", $1, $2, $3, ($4 == "" ? "-" : sprintf("%.1f", $4 / 1e6)), $5 / 1e6 }' "$memory"
  } >> "$report.md"
fi
