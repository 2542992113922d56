#!/usr/bin/env bash
# The Fashion-MNIST rows of docs/refine.md for one network: train the float network (skipped when
# OUT/NAME-fmnist.sepnet exists), binarize it (BiPattern), refine it with per-filter α and with the
# authors' frozen global α 0.09, quantize the per-filter refined network (BQ), and evaluate each
# on the 10,000 test images. Prints one line per row; logs and JSON go to OUT. Run it again after an
# interruption (Ctrl-C, SIGTERM, a reboot): finished models are kept and an unfinished run resumes from
# its checkpoint, giving the model an unbroken run would have (with the options that run stored: use
# a new OUT for other epochs).
#   benchmarks/reproduce-fmnist.sh MODEL TRAIN_EPOCHS REFINE_EPOCHS OUT [binarize options...]
#   e.g. benchmarks/reproduce-fmnist.sh resnet20 15 5 runs --keep-first --keep-shortcuts
# SEPNET (default: ./sepnet) runs the command line; SEPNET_JAVA_OPTS passes JVM options (threads);
# DATA (default: fashion-mnist) and LIMIT (images per split) are for trying the script on less.
set -euo pipefail
model=$1 train_epochs=$2 refine_epochs=$3 out=$4
shift 4
keep=("$@")
sepnet=${SEPNET:-./sepnet}
data=(--data "${DATA:-fashion-mnist}")
[[ -n "${LIMIT:-}" ]] && data+=(--limit "$LIMIT")
mkdir -p "$out"
base="$out/$model-fmnist"

# --resume when an earlier, interrupted run left its checkpoint (the run's options are the stored ones).
resume() { [[ -f "$1" ]] && echo --resume; true; }
if [[ ! -f "$base.sepnet" ]]; then
  $sepnet train "$model" "${data[@]}" --epochs "$train_epochs" -o "$base.sepnet" $(resume "$base.ckpt") | tee -a "$base.train.log"
fi
$sepnet binarize "$base.sepnet" "${keep[@]}" -o "$base-bip.sepnet" > /dev/null
$sepnet binarize "$base.sepnet" "${keep[@]}" --alpha global:0.09 -o "$base-bip-g.sepnet" > /dev/null
[[ -f "$base-b.sepnet" ]] || $sepnet refine "$base.sepnet" "${data[@]}" "${keep[@]}" --epochs "$refine_epochs" \
  -o "$base-b.sepnet" $(resume "$base-b.ckpt") | tee -a "$base-b.refine.log"
[[ -f "$base-g.sepnet" ]] || $sepnet refine "$base.sepnet" "${data[@]}" "${keep[@]}" --alpha global:0.09 --freeze-alpha \
  --epochs "$refine_epochs" -o "$base-g.sepnet" $(resume "$base-g.ckpt") | tee -a "$base-g.refine.log"
$sepnet quantize "$base-b.sepnet" -o "$base-bq.sepnet" > /dev/null

printf '%-28s %8s %10s %12s\n' row top1 params file_bytes
for v in "" -bip -bip-g -b -g -bq; do
  f="$base$v.sepnet"
  $sepnet eval "$f" "${data[@]}" --json > "$base$v.eval.json"
  $sepnet summary "$f" --json > "$base$v.summary.json"
  top1=$(sed -E 's/.*"top1": ?([0-9.]+).*/\1/' "$base$v.eval.json")
  params=$(sed -E 's/.*"params_paper": ([0-9]+).*/\1/' "$base$v.summary.json")
  bytes=$(stat -c %s "$f")
  printf '%-28s %8s %10s %12s\n' "$(basename "$f")" "$top1" "$params" "$bytes"
done
