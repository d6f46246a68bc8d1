#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs attnseq with its test extras
# and the system packages some tests drive (headless Chromium for the web page),
# then runs pytest on the real data of the local mirror. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
apt_install() {  # best effort: only where apt-get runs as root; tests skip, saying why, otherwise
  command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] || return 0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1; } ||
    echo "note: could not install $*; the tests that need it will be skipped"
}
[ -x /usr/bin/chromium ] || apt_install chromium
python3 -m pip install -q -e '.[test]'
export ATTNSEQ_MIRROR="${ATTNSEQ_MIRROR:-$(cd .. && pwd)/shared/datasets}"
exec python3 -m pytest "$@"
