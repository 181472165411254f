#!/usr/bin/env bash
# sdgas-ultra, AGPL-3.0
# Compatibility check: run the tests of every ultralytics touch against another ultralytics release, then put the
# installed one back. Only ultralytics itself is swapped (--no-deps), so nothing else in the environment changes.
#
#   .ci/compat.sh            # the lowest release pyproject.toml allows (ultralytics>=X)
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

want=${1:-lowest}
case "$want" in
  lowest) want=$low ;;
  highest)  # newest release below the upper bound, from the package index
    want=$("$PY" -m pip index versions ultralytics 2>/dev/null | sed -n 's/^Available versions: //p' | "$PY" -c "
import sys
key = lambda v: tuple(int(x) for x in v.split('.'))
found = [v.strip() for v in sys.stdin.read().split(',') if v.strip().replace('.', '').isdigit()]
print(max((v for v in found if key(v) < key('$high')), key=key))")
    ;;
esac

installed=$("$PY" -c "import importlib.metadata as m; print(m.version('ultralytics'))")
echo "compat.sh: supported ultralytics>=$low,<$high; installed $installed; testing $want"
if [ "$want" != "$installed" ]; then
  restore() {
    echo "compat.sh: restoring ultralytics $installed"
    "$PY" -m pip install -q --no-deps "ultralytics==$installed"
  }
  trap restore EXIT
  "$PY" -m pip install -q --no-deps "ultralytics==$want"
fi

# every patch and internal (test_upstream, test_compat), upstream's own bad-input behaviour and messages as our users
# see them (test_upstream_bad_input, one short training run), and a model build per shipped YAML
"$PY" -m pytest -q -p no:cacheprovider tests/test_upstream.py tests/test_compat.py tests/test_upstream_bad_input.py \
  tests/test_models.py::test_every_shipped_model_yaml_builds \
  tests/test_models.py::test_yolo_routes_sdgasnet_to_sdgasmodel_and_leaves_stock_models_alone
