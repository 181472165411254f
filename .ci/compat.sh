#!/usr/bin/env bash
# sdgas-ultra, AGPL-3.0
# Compatibility check: run the upstream tier (`pytest -m upstream`: every ultralytics touch, and upstream's behaviour
# and texts that the plugin's tests rely on) and a model build per shipped YAML against an ultralytics release, then
# put the installed one back. Only ultralytics itself is swapped (--no-deps), so nothing else in the environment
# changes.
#
#   .ci/compat.sh            # the lowest release pyproject.toml allows (ultralytics>=X)
#   .ci/compat.sh installed  # the installed release, as it is
#   .ci/compat.sh highest    # the newest release below pyproject's upper bound (asks the package index)
#   .ci/compat.sh 8.4.185    # any release
#
# Python: $PYTHON, else `python` on PATH (call it with the CI virtual environment active). Takes well under a minute
# when the wheel is cached; exit status is pytest's.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
export PIP_DISABLE_PIP_VERSION_CHECK=1 YOLO_OFFLINE=1 YOLO_AUTOINSTALL=false

bounds=$(sed -n 's/.*"ultralytics>=\([0-9.]*\),<\([0-9.]*\)".*/\1 \2/p' pyproject.toml)
read -r low high <<<"$bounds"
[ -n "${low:-}" ] || { echo "compat.sh: no 'ultralytics>=X,<Y' dependency in pyproject.toml" >&2; exit 2; }

installed=$("$PY" -c "import importlib.metadata as m; print(m.version('ultralytics'))")
want=${1:-lowest}
case "$want" in
  lowest) want=$low ;;
  installed) want=$installed ;;
  highest)  # newest release below the upper bound, from the package index
    want=$("$PY" -m pip index versions ultralytics 2>/dev/null | sed -n 's/^Available versions: //p' | "$PY" -c "
import sys
key = lambda v: tuple(int(x) for x in v.split('.'))
found = [v.strip() for v in sys.stdin.read().split(',') if v.strip().replace('.', '').isdigit()]
print(max((v for v in found if key(v) < key('$high')), key=key))")
    ;;
esac

echo "compat.sh: supported ultralytics>=$low,<$high; installed $installed; testing $want"
if [ "$want" != "$installed" ]; then
  restore() {
    echo "compat.sh: restoring ultralytics $installed"
    "$PY" -m pip install -q --no-deps "ultralytics==$installed"
  }
  trap restore EXIT
  "$PY" -m pip install -q --no-deps "ultralytics==$want"
fi

# the upstream tier, slow tests included (test_upstream_bad_input trains one short run), then two plugin-tier tests
# that build every shipped YAML through upstream's parser; the exit status is the first failure's
status=0
"$PY" -m pytest -q -p no:cacheprovider -m upstream tests || status=$?
"$PY" -m pytest -q -p no:cacheprovider tests/test_models.py::test_every_shipped_model_yaml_builds \
  tests/test_models.py::test_yolo_routes_sdgasnet_to_sdgasmodel_and_leaves_stock_models_alone ||
  { rc=$?; [ "$status" -ne 0 ] || status=$rc; }
exit "$status"
