#!/usr/bin/env bash
# Does the suite pass on the newest versions that pyproject.toml allows? Builds a
# throwaway virtual environment with them, prints which packages moved from
# requirements/lock.txt, then runs the test suite there (arguments go to pytest).
# Run it before `bash scripts/lock.sh`: a failure here is a range in
# pyproject.toml that needs an upper bound, or code that needs mending.
#   TORCH_INDEX  where torch comes from (default PyTorch's CPU builds)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install.sh   # install_torch (the same torch source as the install), test_prerequisites
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
venv="$tmp/venv"
python3 -m venv "$venv"
torch_spec=$("$venv/bin/python" - <<'PY'
import re, tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
print(next(d for d in deps if re.match(r"torch\b", d)))
PY
)
install_torch "$venv" "$torch_spec"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'
"$venv/bin/python" -m pip freeze --all --exclude-editable > "$tmp/latest.txt"
"$venv/bin/python" - "$tmp/latest.txt" requirements/lock.txt <<'PY'
import re, sys

def pins(path):
    found = {}
    for line in open(path):
        match = re.match(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            found[match[1].lower().replace("_", "-")] = match[2]
    return found

latest, locked = pins(sys.argv[1]), pins(sys.argv[2])
rows = [(n, locked.get(n, "-"), latest.get(n, "-")) for n in sorted(set(latest) | set(locked)) if n != "pip"]
moved = [r for r in rows if r[1].split("+")[0] != r[2].split("+")[0]]
print(f"check_latest: {len(moved)} of {len(rows)} packages differ from the lock")
for name, old, new in moved:
    print(f"  {name:32} {old:>14} -> {new}")
if any(n.startswith("nvidia-") for n in latest):
    print("check_latest: warning: nvidia-* packages were installed (a CUDA build of torch)")
PY
test_prerequisites
export ATTNSEQ_MIRROR="${ATTNSEQ_MIRROR:-$(cd .. && pwd)/shared/datasets}"
"$venv/bin/python" -m pytest "$@"
