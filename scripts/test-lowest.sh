#!/usr/bin/env bash
# Prove the declared lower bounds: a venv with exactly constraints/lowest.txt (every direct
# dependency at its lowest declared version) runs the engine, SDK-document, client and
# promoter tests. The venv is kept in .venv-lowest and rebuilt when the constraints change.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
venv=.venv-lowest
stamp="$venv/.installed-$(sha256sum constraints/lowest.txt | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  rm -rf "$venv"
  "$PY" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r constraints/lowest.txt
  touch "$stamp"
fi
"$venv/bin/python" -m pip install -q --no-deps --no-build-isolation -e . 2>/dev/null \
  || "$venv/bin/python" -m pip install -q --no-deps -e .
"$venv/bin/python" - <<'PY'
import graphql, httpx, respx, starlette, uvicorn
print(f"lowest: graphql-core {graphql.__version__}, httpx {httpx.__version__}, respx {respx.__version__},"
      f" starlette {starlette.__version__}, uvicorn {uvicorn.__version__}")
PY
exec "$venv/bin/python" -m pytest -q -n 2 -p no:cacheprovider \
  tests/fakelinear/test_model.py tests/fakelinear/test_api_operations.py \
  tests/fakelinear/test_api_connections.py tests/fakelinear/test_api_errors.py \
  tests/fakelinear/test_generic_kinds.py tests/fakelinear/test_custom_schema.py \
  tests/fakelinear/test_transports.py tests/sdk tests/promoter/test_linear_client.py \
  tests/promoter/test_linear_client_fake.py tests/promoter/test_promoter_fake.py \
  tests/schema_tools/test_compare.py tests/schema_tools/test_sdl.py "$@"
