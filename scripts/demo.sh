#!/usr/bin/env bash
# The project's main job, locally and without Docker: build the email function and invoke its real
# bootstrap through the Lambda Runtime API (under the Runtime Interface Emulator that ships in the
# aws-sam-cli wheel) with a sample OrderCreated event, then with the same event again (a duplicate,
# skipped by the de-duplication layer).
#
#   bash scripts/demo.sh [events/FILE.json]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh
event="${1:-events/order-created.json}"

echo "== building the email function" >&2
cargo build --release --locked -p email
port="$("$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
api_port="$("$root/.venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
log="$(mktemp)"
AWS_LAMBDA_FUNCTION_NAME=EmailFunction SENDER_ADDRESS="${SENDER_ADDRESS:-orders@shop.example}" \
  "$LAMBDA_RIE" --runtime-interface-emulator-address "127.0.0.1:$port" --runtime-api-address "127.0.0.1:$api_port" \
  target/release/email >"$log" 2>&1 &
rie=$!
trap 'kill $rie 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

invoke() {
  "$root/.venv/bin/python" - "$port" "$1" <<'PY'
import sys, urllib.request
port, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
req = urllib.request.Request(f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations", data=data)
print(urllib.request.urlopen(req, timeout=60).read().decode())
PY
}
echo "== invoke EmailFunction with $event" >&2
invoke "$event"
echo "== the same event again (EventBridge delivers at least once)" >&2
invoke "$event"
sleep 0.2
echo "== function logs" >&2
grep -v '^\S* \S* \S* \[INFO\] (rapid)' "$log" || true
