#!/usr/bin/env bash
# The GPU check: on a Linux machine with an NVIDIA GPU (no Java or network needed when the kit
# from benchmarks/gpu/kit.sh is present); before steps 5 and 5b were added it ran in under 6 minutes:
#   1. the machine: GPU, driver, date, commit;
#   2. the GPU tests (JUnit tag gpu: every CUDA kernel against the reference on the edge-hitting
#      shapes, device memory freed; the training kernels against the reference twins) and every zoo
#      network on every backend against the reference; at the end, the CUDA training step's time;
#   3. GpuCheck: each kernel on real layer shapes, checked against the reference, timed, with its
#      rate and the reference's time: one markdown table;
#   4. unless --no-cudnn: the GPU benchmark profile: GpuOpBenchmark (JMH, in-process, short
#      iterations), ours vs cuDNN (strict FP32 and TF32) on every ResNet-20 shape at batch 1, 32
#      and 256, every SEP-Net shape and 5 MobileNet shapes at batch 1 and 32 (--quick: batch 1);
#      then GpuNetworkBenchmark: SEP-Net-B/R small and ResNet-20, ours on the GPU vs the same
#      network on cuDNN layers (strict FP32 and TF32) and ours on the CPU;
#   5. the CUDA training step's time (TrainStepBenchmark) and a convolution's backward pass, ours
#      against cuDNN's backward data + filter (GpuTrainOpBenchmark), each output checked first.
#
#   benchmarks/gpu/check.sh [--kit DIR] [--out DIR] [--quick] [--no-cudnn]
#
# Output: everything is printed and kept under --out (default: benchmarks/results/raw/gpu-DATE, not
# tracked): check.log, gpu-check.md, junit/ reports and the benchmarks' JMH JSON (gpu-ops.json,
# gpu-networks.json), which Render turns into the card's report, benchmarks/results/h100.md or h200.md
# (the command is printed at the end). Exit status 0 only when the tests pass and every kernel is
# within its error bound.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
kit="$root/.gpu-kit"
out="$root/benchmarks/results/raw/gpu-$(date -u +%Y-%m-%d)"
quick=false
cudnn=true
while [[ $# -gt 0 ]]; do
  case "$1" in
    --kit) kit="$2"; shift ;;
    --out) out="$2"; shift ;;
    --quick) quick=true ;;
    --no-cudnn) cudnn=false ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "check.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
exec > >(tee "$out/check.log") 2>&1

java="$kit/jre/bin/java"
[[ -x "$java" ]] || java="$(command -v java || true)"
if [[ -z "$java" ]]; then echo "check.sh: no Java: run benchmarks/gpu/kit.sh on a build machine and copy .gpu-kit here" >&2; exit 2; fi
[[ -d "$kit/lib" ]] || { echo "check.sh: no $kit/lib: run benchmarks/gpu/kit.sh first" >&2; exit 2; }
cp="$(ls "$kit"/lib/*.jar | grep -v junit-platform-console | tr '\n' ':')"

echo "# GPU check"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- commit: $(cat "$kit/COMMIT" 2>/dev/null || git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not available')"
echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) cores)"
echo "- Java: $("$java" -version 2>&1 | head -1)"

# cuDNN, cuBLAS and the CUDA runtime for the cuDNN baseline: the system's, or NVIDIA's Python wheels.
libs=""
for py in python3 /opt/torch/.venv/bin/python3; do
  command -v "$py" >/dev/null 2>&1 || [[ -x "$py" ]] || continue
  libs="$("$py" - <<'PY' 2>/dev/null
import importlib, os
dirs = []
for m in ("nvidia.cudnn", "nvidia.cublas", "nvidia.cuda_runtime", "nvidia.cu13", "nvidia.cuda_nvrtc"):
    try:
        mod = importlib.import_module(m)
    except Exception:
        continue
    for base in list(getattr(mod, "__path__", [])):
        for sub in ("lib", "lib64"):
            d = os.path.join(base, sub)
            if os.path.isdir(d):
                dirs.append(d)
print(":".join(dirs))
PY
)"
  [[ -n "$libs" ]] && break
done
for d in /usr/local/cuda/lib64 /usr/local/cuda/lib; do [[ -d "$d" ]] && libs="${libs:+$libs:}$d"; done
export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "- cuDNN search path: ${libs:-none found}"
echo

status=0
start=$SECONDS
echo "## 1. GPU tests"
"$java" -Dsepnet.cuda.sync=true -jar "$kit"/lib/junit-platform-console-standalone-*.jar execute \
  --class-path "$cp" --select-class org.sepnet.backend.cuda.CudaBackendTest \
  --select-class org.sepnet.backend.cuda.CudaExecutorTest --select-class org.sepnet.backend.cuda.CudaNonFiniteTest \
  --select-class org.sepnet.runtime.CudaTrainingTest \
  --select-class org.sepnet.runtime.NetworkTest --select-class org.sepnet.backend.BackendsTest \
  --details=summary --disable-banner --reports-dir "$out/junit" 2>&1 | grep -v '^\s*$' | tail -60
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
echo "(tests: $((SECONDS - start)) s)"
echo

echo "## 2. Kernels against the reference"
start=$SECONDS
"$java" -cp "$cp" org.sepnet.bench.gpu.GpuCheck $($quick && echo --quick) | tee "$out/gpu-check.md"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
echo "(kernel table: $((SECONDS - start)) s)"
echo

echo "## 2b. Host-device copies: Java arrays, host tensors, page-locked host tensors"
start=$SECONDS
"$java" -cp "$cp" org.sepnet.bench.gpu.GpuCheck --transfers | grep -v '^GPU:' | tee -a "$out/gpu-check.md"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
echo "(copies: $((SECONDS - start)) s)"
echo

if $cudnn; then
  echo "## 3. Ours vs cuDNN (JMH, GpuOpBenchmark)"
  start=$SECONDS
  shapes="$root/benchmarks/shapes"
  pick() { grep -v '^#' "$@" | sed 's/ *#.*//' | grep -v '^$'; }
  at() { sed "s/:n1_/:n${1}_/"; }
  r20="$(pick "$shapes/resnet20.txt" | grep ':n1_')"
  sep="$(pick "$shapes/sepnet.txt" | grep ':n1_')"
  mob="$(pick "$shapes/mobilenet.txt" | grep ':n1_' | grep -E 'ic32oc(32|64)_ih112iw112|ic512oc512_ih14iw14')"
  if $quick; then
    problems="$( (echo "$r20"; echo "$sep") | paste -sd, -)"
  else
    problems="$( (for b in 1 32 256; do echo "$r20" | at $b; done; for b in 1 32; do echo "$sep" | at $b; echo "$mob" | at $b; done) | paste -sd, -)"
  fi
  "$java" -cp "$cp" org.openjdk.jmh.Main GpuOpBenchmark -p problem="$problems" -p runtime=cuda,cudnn_fp32,cudnn_tf32 \
    -f 0 -wi 1 -w 100ms -i 3 -r 100ms -rf json -rff "$out/gpu-ops.json" 2>&1 \
    | grep -E '^(GpuOpBenchmark|Benchmark|cuDNN|# Run complete)|Exception|Error|does not match' | tail -400
  echo "(cuDNN comparison: $((SECONDS - start)) s)"
  echo
  echo "## 4. Whole networks: ours on the GPU vs the same network on cuDNN layers (FP32, TF32) and ours on every CPU core (JMH, GpuNetworkBenchmark)"
  start=$SECONDS
  "$java" -cp "$cp" org.openjdk.jmh.Main GpuNetworkBenchmark -p batch="$($quick && echo 1 || echo 1,32)" \
    -f 0 -wi 1 -w 200ms -i 3 -r 300ms -rf json -rff "$out/gpu-networks.json" 2>&1 \
    | grep -E '^(GpuNetworkBenchmark|Benchmark|# Run complete)|Exception|Error|differs' | tail -60
  echo "(networks: $((SECONDS - start)) s)"
fi
echo
echo "## 5. Training steps on the GPU (JMH, TrainStepBenchmark: our CUDA training graph; the CPU's in benchmarks/results/cpu.md)"
start=$SECONDS
"$java" -cp "$cp" org.openjdk.jmh.Main TrainStepBenchmark -p model=resnet20,resnet20-refine -p batch=128 -p runtime=cuda \
  -f 0 -wi 1 -w 1s -i 2 -r 2s -rf json -rff "$out/gpu-train.json" 2>&1 \
  | grep -E '^(TrainStepBenchmark|Benchmark|# Run complete)|Exception|Error|differs' | tail -20
echo "(training steps: $((SECONDS - start)) s)"
echo
echo "## 5b. A convolution's backward pass: our training kernels vs cuDNN's backward data + filter (FP32, TF32), ResNet-20's training shapes (JMH, GpuTrainOpBenchmark)"
start=$SECONDS
"$java" -cp "$cp" org.openjdk.jmh.Main GpuTrainOpBenchmark -p runtime=cuda,cudnn_fp32,cudnn_tf32 \
  -f 0 -wi 1 -w 200ms -i 3 -r 300ms -rf json -rff "$out/gpu-train-ops.json" 2>&1 \
  | grep -E '^(GpuTrainOpBenchmark|Benchmark|cuDNN|# Run complete)|off by|Exception|Error' | tail -60
echo "(backward passes: $((SECONDS - start)) s)"
echo
card="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | grep -oiE 'h100|h200|[a-z][0-9]{2,4}' | head -1 | tr '[:upper:]' '[:lower:]')"
echo "GPU check: $([[ $status -eq 0 ]] && echo PASSED || echo FAILED) (status $status); results in $out"
if $cudnn; then
  echo "The card's report, on a build machine with the results copied back:"
  echo "  java -cp benchmarks/target/benchmarks.jar org.sepnet.bench.Render --out benchmarks/results/${card:-CARD} \\"
  echo "    --title 'GPU benchmarks: sepnet CUDA vs cuDNN' --machine '<GPU, driver, host from the top of check.log>' \\"
  echo "    --date '<date>' --commit <commit> --command 'benchmarks/gpu/check.sh' $out/gpu-ops.json $out/gpu-networks.json"
fi
exit $status
