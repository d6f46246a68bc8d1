#!/usr/bin/env bash
# Refresh requirements/lock.txt: every package the README's two commands install
# (attnseq's runtime, serve, vision and test extras), pinned, for CPython 3.11 on
# x86_64 Linux, with torch's CPU build. Then run `bash scripts/check_latest.sh`
# or the test suite on the new lock before committing it.
#
#   bash scripts/lock.sh                          # torch's CPU build from the PyTorch index
#   TORCH_SOURCE=/path/to/wheels bash scripts/lock.sh   # or from a folder of wheels
#
# Why torch's CPU build: PyPI's Linux torch wheels are CUDA builds that pull
# about 3 GB of nvidia-* packages; the lock must install on a CPU machine
# without them. The lock writes `torch==X` without the `+cpu` label, so the same
# lock accepts a CUDA build that a GPU user installs first (README, Install).
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
TORCH_SOURCE=${TORCH_SOURCE:-https://download.pytorch.org/whl/cpu}
tools=${ATTNSEQ_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/attnseq/uv-$UV_VERSION}
if [ ! -x "$tools/bin/uv" ]; then
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install -q "uv==$UV_VERSION"
fi
if [ -d "$TORCH_SOURCE" ]; then
  torch_args=(--find-links "$TORCH_SOURCE")
else
  torch_args=(--extra-index-url "$TORCH_SOURCE")
fi
out=requirements/lock.txt
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
"$tools/bin/uv" pip compile pyproject.toml --extra serve --extra vision --extra test \
  --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
  --index-strategy unsafe-best-match "${torch_args[@]}" \
  --no-header --quiet -o "$tmp"
if grep -q '^nvidia-' "$tmp"; then
  echo "lock.sh: the resolution pulled nvidia-* packages (torch's CUDA build); check TORCH_SOURCE" >&2
  exit 1
fi
{
  echo "# Pinned environment of the README's two commands (runtime, serve, vision, test)."
  echo "# Made by \`bash scripts/lock.sh\` (uv $UV_VERSION pip compile) for CPython 3.11,"
  echo "# x86_64 Linux, torch's CPU build; do not edit by hand."
  sed -E 's/^(torch==[0-9.]+)\+[a-z0-9]+/\1/' "$tmp"
} > "$out"
echo "wrote $out: $(grep -c '==' "$out") packages"
