#!/usr/bin/env bash
# The main job: train the default French-English model (progress bar), then
# translate a few everyday sentences with it and draw its attention.
# Installs attnseq and its pinned packages into .venv first (scripts/install.sh).
# Reads data from the local mirror ($ATTNSEQ_MIRROR, default ../shared/datasets).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install.sh
attnseq_install
export ATTNSEQ_MIRROR="${ATTNSEQ_MIRROR:-$(cd .. && pwd)/shared/datasets}"
RUN=${RUN:-runs/tatoeba-fr-en}
start=$(date +%s)
if [ -f "$RUN/last.safetensors" ]; then
  attnseq train --resume "$RUN"          # an interrupted run continues where it stopped
else
  attnseq train configs/tatoeba-fr-en.yaml --out "$RUN"
fi
echo
echo "== translations (beam 5) =="
attnseq translate "$RUN" \
  "Je suis très fatigué." \
  "Il fait froid aujourd'hui." \
  "Où est la gare ?" \
  "Nous avons mangé une pomme." \
  "Elle ne veut pas partir."
echo
attnseq attention "$RUN" "Elle ne veut pas partir." -o "$RUN/heatmap.png"
echo
attnseq evaluate "$RUN" --data tatoeba-fra-eng:test --beam 5 --out "$RUN/test.hyp"
echo "main job done in $(( $(date +%s) - start )) s"
