#!/usr/bin/env bash
# Many variants of the recipes at once, each at a fixed number of steps, then
# scored on its validation and test splits: an ablation in minutes on one GPU.
# A job file has one job per line, "NAME|RECIPE|KEY=VALUE ...", the values given
# to `attnseq train --set` (no spaces inside a value). A job with
# train.keep_checkpoints=N also gets NAME-avgN, the average of its last N.
#   benchmarks/recipe_sweep.sh OUT_DIR JOBS_FILE [DEADLINE_S]
# Prints (and writes to OUT_DIR/table.md) a Markdown table. DEVICE=cpu runs it here;
# EVAL_ARGS adds options to every `attnseq evaluate`.
set -u
out=${1:?usage: benchmarks/recipe_sweep.sh OUT_DIR JOBS_FILE [DEADLINE_S]}
jobs_file=${2:?usage: benchmarks/recipe_sweep.sh OUT_DIR JOBS_FILE [DEADLINE_S]}
deadline=${3:-600}
device=${DEVICE:-cuda}
cd "$(dirname "$0")/.."
mkdir -p "$out/runs"
export OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1
attnseq() { python3 -m attnseq "$@"; }
splits() { python3 benchmarks/recipe_sweep_table.py --splits "$1"; }

start=$(date +%s)
while IFS='|' read -r name recipe sets; do
  case $name in '' | \#*) continue ;; esac
  args=()
  for s in $sets; do args+=(--set "$s"); done
  attnseq train "configs/$recipe.yaml" --out "$out/runs/$name" --quiet --set "train.device=$device" \
    --set train.threads=1 "${args[@]}" >"$out/runs/$name.log" 2>&1 &
done <"$jobs_file"
while [ -n "$(jobs -rp)" ] && [ $(($(date +%s) - start)) -lt "$deadline" ]; do sleep 5; done
echo "trainings ended after $(($(date +%s) - start)) s; stopped at the deadline: $(jobs -rp | wc -l)"
for p in $(jobs -rp); do kill "$p"; done
wait

score() { # RUN: the valid and test splits, beam 5 (beam 3 for captions), each to RUN.SPLIT.json
  local run=$1 split
  for split in $(splits "$run"); do
    if [[ $split == caption:* ]]; then
      attnseq evaluate "$run" --data "${split#caption:}" --beam 3 --device "$device" \
        ${EVAL_ARGS:-} --json "$run.test.json" >>"$run.eval" 2>&1
    else
      attnseq evaluate "$run" --data "$split" --beam 5 --tokenize none --tokenized --device "$device" \
        ${EVAL_ARGS:-} --json "$run.${split##*:}.json" >>"$run.eval" 2>&1
    fi
  done
}
for run in "$out"/runs/*/; do
  run=${run%/}
  score "$run" &
  keep=$(grep -o 'keep_checkpoints=[0-9]*' <<<"$(grep "^$(basename "$run")|" "$jobs_file")" | cut -d= -f2)
  if [ -n "$keep" ]; then
    (attnseq average "$run" --last "$keep" -o "$run-avg$keep" >"$run-avg$keep.log" 2>&1 &&
      score "$run-avg$keep") &
  fi
done
wait
echo "scored after $(($(date +%s) - start)) s"
python3 benchmarks/recipe_sweep_table.py "$out/runs" | tee "$out/table.md"
