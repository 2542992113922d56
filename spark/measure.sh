#!/usr/bin/env bash
# Spark's cost over the plain evaluation: classifies the Fashion-MNIST test set (10,000 images) with
# spark/predict.sh on local[1] and local[2], 5 runs each, every run followed in the same JVM by the
# evaluation ./sepnet eval runs (same model, backend, threads and batch), and writes the report
# benchmarks/results/cpu-spark.md (medians; the raw JSON goes to benchmarks/results/raw/).
#   spark/measure.sh [MODEL] [BATCH]      defaults: resnet20-fmnist-bq 64
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model=${1:-resnet20-fmnist-bq}
batch=${2:-64}
raw="$root/benchmarks/results/raw"
report="$root/benchmarks/results/cpu-spark.md"
mkdir -p "$raw"
commit="$(git -C "$root" rev-parse --short HEAD)"
[[ -n "$(git -C "$root" status --porcelain -- java spark pom.xml)" ]] && commit="$commit (with uncommitted changes)"

field() { sed -E "s/.*\"$2\":(\[[^]]*\]|[^,}]*).*/\1/" <<< "$1" | tr -d '"'; }
rows=()
for threads in 1 2; do
  out="$raw/spark-local$threads.json"
  "$root/spark/predict.sh" "$model" --data fashion-mnist --master "local[$threads]" --batch "$batch" --repeat 5 --compare \
    > "$out" 2> "$raw/spark-local$threads.log"
  j="$(cat "$out")"
  rows+=("| \`local[$threads]\` | $(field "$j" partitions) | $(field "$j" images_per_s) | $(field "$j" plain_images_per_s) \
| $(field "$j" spark_overhead) | $(field "$j" runs_images_per_s) | $(field "$j" plain_runs_images_per_s) | $(field "$j" top1) \
| $(field "$j" backend) |")
done

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
{
  echo "# Spark batch inference on the CPU: SepnetClassifier against the plain evaluation"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Machine: $cpu, $(nproc) cores, Linux $(uname -r), $(java -version 2>&1 | head -1)"
  echo "- Commit: $commit"
  echo "- Command: \`spark/measure.sh $model $batch\` (Spark $(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' "$root/pom.xml"), local mode)"
  echo "- Data: the Fashion-MNIST test set, 10,000 images, as a cached DataFrame of Spark image structs; model \`$model\`, batch $batch."
  echo "- Spark: the job that classifies and tallies (transform, aggregate), timed on the driver; each task slot"
  echo "  has a native pool of its own (local[N]: N slots, 1 thread each)."
  echo "- Plain: \`Evaluator.evaluate\`, what \`./sepnet eval\` runs, on a native backend with N threads (one pool),"
  echo "  the same batch, in the same JVM right after each Spark run."
  echo "- Overhead = 1 − Spark / plain (medians of 5 runs; the first Spark run includes building the predictor)."
  echo
  echo "| master | partitions | Spark images/s | plain images/s | overhead | Spark runs | plain runs | top-1 | backend |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$report"
cat "$report"
