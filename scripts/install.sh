# Sourced by scripts/quickstart.sh and scripts/test.sh (the README's two
# commands): installs attnseq and the pinned packages of requirements/lock.txt
# into the project's virtual environment and puts its bin/ first on PATH.
#
# Why a virtual environment of our own: Debian's and Ubuntu's Pythons refuse
# `pip install` into the system interpreter (PEP 668), and packages installed
# earlier on a machine must not decide whether the suite passes.
#
#   ATTNSEQ_VENV  where the environment lives (default .venv in the repository)
#   TORCH_INDEX   where torch comes from (default PyTorch's CPU builds; for a GPU,
#                 e.g. https://download.pytorch.org/whl/cu128, or https://pypi.org/simple)
#   PYTHON        the interpreter that creates the environment (default python3)

apt_install() {  # best effort, only where apt-get runs as root; callers say what is missing
  command -v apt-get >/dev/null && [ "$(id -u)" = 0 ] || return 1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1; }
}

install_torch() {  # VENV SPEC: torch alone from TORCH_INDEX; its dependencies come after
  local index=${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
  echo "install: $2 from $index"
  "$1/bin/python" -m pip install -q --disable-pip-version-check --no-deps "$2" --extra-index-url "$index"
}

attnseq_install() {
  local venv=${ATTNSEQ_VENV:-.venv} python=${PYTHON:-python3} lock=requirements/lock.txt
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "install: attnseq needs Python 3.10 or newer; '$python' is $("$python" --version 2>&1)" >&2
    return 1
  fi
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$venv"
    if ! "$python" -m venv "$venv" >/dev/null 2>&1; then
      rm -rf "$venv"   # Debian/Ubuntu ship venv's pip apart, as python3-venv
      apt_install python3-venv && "$python" -m venv "$venv" || {
        rm -rf "$venv"
        echo "install: '$python -m venv' failed; on Debian or Ubuntu run 'sudo apt-get install python3-venv' and try again" >&2
        return 1
      }
    fi
    echo "install: created the virtual environment $venv"
  fi
  venv=$(cd "$venv" && pwd)
  local stamp="$venv/.attnseq-installed" want
  want=$(cat "$lock" pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    local pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
    local torch_pin
    torch_pin=$(grep -E '^torch==' "$lock")
    # torch first, from its own index: PyPI's Linux wheels are CUDA builds of several GB.
    # A build of the pinned version already there (CPU or CUDA) is kept. Its own
    # dependencies come next, from the lock (a CUDA build adds its nvidia-* ones).
    if ! "$venv/bin/python" -c "import sys, torch; sys.exit(torch.__version__.split('+')[0] != '${torch_pin#torch==}')" 2>/dev/null; then
      install_torch "$venv" "$torch_pin" || return 1
    fi
    echo "install: the pinned packages of $lock"
    "${pip[@]}" -r "$lock" || return 1
    "${pip[@]}" --no-deps -e . || return 1
    "$venv/bin/python" -m pip check >/dev/null || { "$venv/bin/python" -m pip check >&2; return 1; }
    echo "$want" > "$stamp"
  fi
  export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH"
  hash -r
}

test_prerequisites() {  # what some tests drive besides Python: headless Chromium for the web page
  [ -x /usr/bin/chromium ] || apt_install chromium ||
    echo "note: could not install chromium; the browser tests will be skipped"
}
