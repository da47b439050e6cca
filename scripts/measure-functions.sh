#!/usr/bin/env bash
# Records, per function: the size of the stripped bootstrap and of the zip as deployed (arm64,
# `cargo lambda build --release --arm64`, what `sam build` runs for the template, built by
# scripts/build-functions.sh), and the cold-start init duration reported by the Lambda Runtime
# Interface Emulator on a first invocation with a sample event the function accepts (median of
# five cold starts). The arm64 build cannot run on an x86_64 machine, so the cold starts are
# measured on the same release build for this machine's processor (`cargo lambda build --release`
# into target/lambda-host). A moto server stands in for DynamoDB and SES, with the tables and the
# sender identity the functions expect, so every invocation does its real work.
#
#   bash scripts/measure-functions.sh [function ...]     (default: every crate under functions/)
#
# Honours CARGO_TARGET_DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh
target="${CARGO_TARGET_DIR:-$root/target}"
functions=("$@")
if [ ${#functions[@]} -eq 0 ]; then
  for dir in functions/*/; do functions+=("$(basename "$dir")"); done
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# moto: DynamoDB tables and the SES sender, as template.yaml declares them.
moto_port="$(free_port)"
moto_log="$(mktemp)"
moto_server -H 127.0.0.1 -p "$moto_port" >"$moto_log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; rm -f "$moto_log"' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$moto_port") 2>/dev/null && break; sleep 0.1; done
python3 - <<'PY'
import os, boto3
endpoint = os.environ["AWS_ENDPOINT_URL"]
dynamodb = boto3.client("dynamodb", endpoint_url=endpoint)
for table, key in [("inventory", "sku"), ("reservations", "order_id"),
                   ("shipments", "order_id"), ("audit", "id"), ("partner-sources", "store_id")]:
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": key, "KeyType": "HASH"}])
dynamodb.put_item(TableName="inventory", Item={"sku": {"S": "ABC"}, "available": {"N": "1000"}})
boto3.client("sesv2", endpoint_url=endpoint).create_email_identity(EmailIdentity="orders@shop.example")
PY
export SENDER_ADDRESS="orders@shop.example" INVENTORY_TABLE="inventory" RESERVATIONS_TABLE="reservations"
export SHIPMENTS_TABLE="shipments" AUDIT_TABLE="audit" PARTNER_SOURCES_TABLE="partner-sources"

sample_for() {
  case "$1" in
    audit) echo "events/ec2-stopped.json" ;;
    shipping) echo "events/sqs-order-created-batch.json" ;;
    *) echo "events/order-created.json" ;;
  esac
}

bash scripts/build-functions.sh >&2
printf '| function | sample event | arm64 bootstrap (bytes) | arm64 zip (bytes) | RIE init, %s build, median of 5 (ms) | first response |\n|---|---|---|---|---|---|\n' "$(uname -m)"
for fn in "${functions[@]}"; do
  cargo lambda build --release --locked -p "$fn" --lambda-dir "$target/lambda-host" >&2
  bootstrap="$target/lambda-host/$fn/bootstrap"
  zip="$target/lambda/$fn/bootstrap.zip"
  arm64_bootstrap="$(python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).getinfo("bootstrap").file_size)' "$zip")"
  sample="$(sample_for "$fn")"
  inits=()
  response=""
  for _ in 1 2 3 4 5; do
    port="$(free_port)"
    api="$(free_port)"
    log="$(mktemp)"
    "$LAMBDA_RIE" --runtime-interface-emulator-address "127.0.0.1:$port" --runtime-api-address "127.0.0.1:$api" "$bootstrap" >"$log" 2>&1 &
    rie=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    answer="$(python3 -c "import urllib.request; print(urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$port/2015-03-31/functions/function/invocations', data=open('$sample','rb').read()), timeout=60).read().decode())")"
    [ -n "$response" ] || response="$answer"
    sleep 0.2
    kill "$rie"; wait "$rie" 2>/dev/null || true
    inits+=("$(grep -o 'INIT REPORT(durationMs: [0-9.]*' "$log" | grep -o '[0-9.]*$' || echo 0)")
    rm -f "$log"
  done
  init="$(printf '%s\n' "${inits[@]}" | sort -n | sed -n 3p)"
  if [[ "$response" == *errorType* ]]; then status="error"; else status="ok"; fi
  printf '| %s | %s | %s | %s | %s | %s |\n' "$fn" "$(basename "$sample")" "$arm64_bootstrap" "$(stat -c %s "$zip")" "$init" "$status"
  printf '%s first response: %s\n' "$fn" "$response" >&2
done
