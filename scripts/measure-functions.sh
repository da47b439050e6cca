#!/usr/bin/env bash
# Builds every function with `cargo lambda build --release` (what `sam build` runs) and records,
# per function: stripped bootstrap size, zip size, and the cold-start init duration reported by
# the Lambda Runtime Interface Emulator on a first invocation with a sample event (median of
# five cold starts).
#
#   bash scripts/measure-functions.sh [function ...]     (default: every crate under functions/)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh
functions=("$@")
if [ ${#functions[@]} -eq 0 ]; then
  for dir in functions/*/; do functions+=("$(basename "$dir")"); done
fi
printf '| function | bootstrap (bytes) | zip (bytes) | RIE init, median of 5 (ms) |\n|---|---|---|---|\n'
for fn in "${functions[@]}"; do
  cargo lambda build --release -p "$fn" --output-format zip >&2
  cargo lambda build --release -p "$fn" >&2
  bootstrap="target/lambda/$fn/bootstrap"
  zip="target/lambda/$fn/bootstrap.zip"
  sample="events/order-created.json"
  inits=()
  for _ in 1 2 3 4 5; do
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    api="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    log="$(mktemp)"
    "$LAMBDA_RIE" --runtime-interface-emulator-address "127.0.0.1:$port" --runtime-api-address "127.0.0.1:$api" "$bootstrap" >"$log" 2>&1 &
    rie=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    python3 -c "import urllib.request; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$port/2015-03-31/functions/function/invocations', data=open('$sample','rb').read()), timeout=60).read()"
    sleep 0.2
    kill "$rie"; wait "$rie" 2>/dev/null || true
    inits+=("$(grep -o 'INIT REPORT(durationMs: [0-9.]*' "$log" | grep -o '[0-9.]*$' || echo 0)")
    rm -f "$log"
  done
  init="$(printf '%s\n' "${inits[@]}" | sort -n | sed -n 3p)"
  printf '| %s | %s | %s | %s |\n' "$fn" "$(stat -c %s "$bootstrap")" "$(stat -c %s "$zip")" "$init"
done
