#!/usr/bin/env bash
# The project's main job, locally, without Docker or an AWS account:
#   1. route a sample OrderCreated through template.yaml's rules on OrdersBus (localbus route);
#   2. run the real EmailFunction bootstrap under the Lambda Runtime Interface Emulator (the
#      Runtime API protocol Lambda uses) against a local AWS endpoint (moto server), invoke it with
#      the event, then with the same event again: the duplicate is skipped, one e-mail is sent.
#
#   bash scripts/demo.sh [events/FILE.json]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh
event="${1:-events/order-created.json}"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== building localbus and the email function" >&2
cargo build --locked -p localbus -p email

echo "== localbus route: where does $event go on OrdersBus?" >&2
target/debug/localbus route --event "file://$event" --event-bus-name OrdersBus --output table

moto_port="$(free_port)"; port="$(free_port)"; api_port="$(free_port)"
moto_log="$(mktemp)"; log="$(mktemp)"
moto_server -H 127.0.0.1 -p "$moto_port" >"$moto_log" 2>&1 &
moto=$!
rie=""
cleanup() { kill $moto ${rie:+$rie} 2>/dev/null || true; rm -f "$moto_log" "$log"; }
trap cleanup EXIT
wait_port() { for _ in $(seq 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
wait_port "$moto_port"
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
sender="${SENDER_ADDRESS:-orders@shop.example}"
python3 - "$sender" <<'PY'
import sys, boto3
boto3.client("sesv2").create_email_identity(EmailIdentity=sys.argv[1])   # moto: verified at once
PY

AWS_LAMBDA_FUNCTION_NAME=EmailFunction SENDER_ADDRESS="$sender" \
  "$LAMBDA_RIE" --runtime-interface-emulator-address "127.0.0.1:$port" --runtime-api-address "127.0.0.1:$api_port" \
  target/debug/email >"$log" 2>&1 &
rie=$!
wait_port "$port"

invoke() {
  python3 - "$port" "$1" <<'PY'
import sys, urllib.request
port, path = sys.argv[1], sys.argv[2]
request = urllib.request.Request(f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations", data=open(path, "rb").read())
print(urllib.request.urlopen(request, timeout=60).read().decode())
PY
}
echo "== invoke EmailFunction with $event" >&2
invoke "$event"
echo "== the same event again (EventBridge delivers at least once)" >&2
invoke "$event"
sleep 0.3
echo "== e-mails sent (moto's SES)" >&2
python3 - "$moto_port" <<'PY'
import json, sys, urllib.request
data = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/data.json"))
messages = data.get("ses", {}).get("Message", [])
print(f"{len(messages)} message(s) sent")
for message in messages:
    print(f"  from {message.get('source')}: {message.get('subject')}")
PY
echo "== function logs" >&2
grep -v '(rapid)' "$log" || true
