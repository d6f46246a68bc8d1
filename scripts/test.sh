#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs attnseq and the pinned
# packages into the project's virtual environment (scripts/install.sh), the
# system package some tests drive (headless Chromium for the web page), then
# runs pytest on the real data of the local mirror. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install.sh
attnseq_install
test_prerequisites
export ATTNSEQ_MIRROR="${ATTNSEQ_MIRROR:-$(cd .. && pwd)/shared/datasets}"
exec python -m pytest "$@"
