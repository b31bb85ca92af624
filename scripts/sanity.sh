#!/usr/bin/env bash
# ansible-test sanity needs the collection at .../ansible_collections/<ns>/<name>: copy the
# files git knows (tracked, and new files not ignored) there and run it on this Python.
# Arguments go to ansible-test sanity (scripts/sanity.sh --test validate-modules runs one test).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="$ROOT/.build/ansible_collections/aiplatform/cluster"
PY="$ROOT/.venv/bin/python"
rm -rf "$DEST"
mkdir -p "$DEST"
cd "$ROOT"
# Tracked files deleted in the working tree are left out (a checkout in the middle of an edit).
git ls-files -co --exclude-standard -z | grep -zv '^\.collections/' |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done | xargs -0 cp --parents -t "$DEST"
cd "$DEST"
git init -q . && git add -A >/dev/null 2>&1   # ansible-test lists files through git
# ansible-test bootstraps pip in its sanity venvs with a script from a host that is not
# reachable here; give it ours (scripts/get-pip-offline.py) under the name it looks for.
PIPVER=$(
  grep -ho "pip='[0-9.]*'" "$ROOT"/.venv/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -n1 | tr -dc '0-9.')
mkdir -p ~/.ansible/test/cache
cp "$ROOT/scripts/get-pip-offline.py" ~/.ansible/test/cache/get_pip_${PIPVER//./_}.py
PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# Skipped, and why:
#  pylint, pep8: each wants its own pinned tool set that ansible-test installs from PyPI in a
#  venv of its own (--requirements); minutes of pip, so they run with SANITY_FULL=1 only.
#  pslint, shellcheck: need PowerShell / shellcheck binaries. validate-modules runs always: its
#  venv (ansible-test's sanity.validate-modules requirements, five small pinned packages) is
#  made once under ~/.ansible/test/venv and reused.
SKIP=(--skip-test pylint --skip-test pep8 --skip-test pslint --skip-test shellcheck)
if [ "${SANITY_FULL:-0}" = 1 ]; then SKIP=(); EXTRA=(--requirements); else EXTRA=(); fi
"$ROOT/.venv/bin/ansible-test" sanity --python "$PYVER" "${EXTRA[@]}" "${SKIP[@]}" --color no "$@"
mkdir -p "$ROOT/.cache/results" && echo ok >"$ROOT/.cache/results/sanity"
