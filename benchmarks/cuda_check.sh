#!/usr/bin/env bash
# The CUDA and mixed-precision paths, checked on a GPU machine in a few minutes:
# the CUDA tests, a short training of the Transformer and RNN recipes in each
# precision (throughput from the run's own log), and decoding the Multi30k test
# set on the GPU. Prints a Markdown table; every run's files stay under OUT_DIR.
#   benchmarks/cuda_check.sh OUT_DIR [MINUTES_PER_RUN]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: benchmarks/cuda_check.sh OUT_DIR [MINUTES_PER_RUN]}
minutes=${2:-0.75}
device=${DEVICE:-cuda}
mkdir -p "$out"
attnseq() { python3 -m attnseq "$@"; }

python3 -c "import torch; print('torch', torch.__version__, '|', torch.cuda.get_device_name() if torch.cuda.is_available() else 'no CUDA')"
[ "$device" = cpu ] || python3 -m pytest -q -p no:cacheprovider tests/training/test_device_precision.py 2>&1 | tee "$out/pytest.txt" | tail -n 3

rows=()
for job in ${JOBS:-multi30k-en-de-transformer:fp32 multi30k-en-de-transformer:bf16 multi30k-en-de-transformer:fp16 multi30k-en-de-rnn:fp32 multi30k-en-de-rnn:bf16}; do
  recipe=${job%%:*} precision=${job##*:} run="$out/${job/:/-}"
  attnseq train "configs/$recipe.yaml" --out "$run" --quiet --set "train.device=$device" \
    --set "train.precision=$precision" --set "train.max_minutes=$minutes" \
    --set train.valid_every=200 --set train.valid_bleu_sentences=100 >"$run.log" 2>&1
  status=$?
  summary=$(python3 - "$run" <<'EOF'
import json, sys
from pathlib import Path
rows = [json.loads(line) for line in (Path(sys.argv[1]) / "metrics.jsonl").read_text().splitlines()]
last = rows[-1]
print(f"{last['step']} | {last.get('train_tokens_per_s', float('nan')):,.0f} | {last['valid_loss']:.3f}")
EOF
  )
  rows+=("| $recipe | $precision | $status | $summary |")
done
{
  echo "| recipe | precision | exit | steps | train tokens/s | valid loss |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$out/training.md"

# Decoding the 1,000 test sentences on the device, greedy and beam 5 (time includes loading).
run="$out/multi30k-en-de-transformer-bf16"
for beam in 1 5; do
  start=$(date +%s.%N)
  attnseq evaluate "$run" --data multi30k:test_2016_flickr --tokenize none --beam "$beam" \
    --device "$device" 2>/dev/null | grep -m1 BLEU
  echo "beam $beam: $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s"
done | tee "$out/decoding.txt"
