#!/usr/bin/env bash
# Measures `localbus send`: the time from putting one OrderCreated on OrdersBus to the end of the
# last function's work (EmailFunction, InventoryFunction, PartnerPublisherFunction, and
# ShippingFunction via the queue), with release bootstraps built as `sam build` builds them but for
# this machine's processor (`cargo lambda build --release`, into target/lambda-host), under the
# Runtime Interface Emulator against moto. Sends N distinct orders one at a time:
# the first includes the four cold starts, the others run on warm binaries.
#
#   bash scripts/measure-send.sh [N]       (docs/benchmarks.md, "localbus send")
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh
count="${1:-21}"
target="${CARGO_TARGET_DIR:-$root/target}"
packages=()
for fn in functions/*/; do packages+=(-p "$(basename "$fn")"); done
cargo lambda build --release --locked "${packages[@]}" --lambda-dir "$target/lambda-host"
cargo build --locked --release -p localbus
dir="$(mktemp -d)"
trap 'rm -rf "$dir" "$dir.report.json"' EXIT
python3 - "$dir" "$count" <<'PY'
import json, sys, uuid
dir, count = sys.argv[1], int(sys.argv[2])
base = json.load(open("events/order-created.json"))
for i in range(count):
    event = dict(base, id=str(uuid.uuid4()))
    event["detail"] = dict(base["detail"], order_id=str(uuid.uuid4()))
    json.dump(event, open(f"{dir}/order-{i:03}.json", "w"))
PY
"$target/release/localbus" send --one-at-a-time --event "file://$dir" --event-bus-name OrdersBus \
  --functions-dir "$target/lambda-host" \
  --seed file://events/local/seed.json --output json > "$dir.report.json"
python3 - "$dir.report.json" <<'PY'
import json, statistics, sys
report = json.load(open(sys.argv[1]))
times = [event["DoneAfterMs"] for event in report["Events"]]
outcomes = {d["Outcome"] for e in report["Events"] for d in e["Deliveries"]}
warm = sorted(times[1:])
print(f"outcomes: {sorted(outcomes)}; deliveries per event: {len(report['Events'][0]['Deliveries'])}")
print(f"cold (first order): {times[0]:.1f} ms")
print(f"warm ({len(warm)} orders): median {statistics.median(warm):.1f} ms, min {warm[0]:.1f}, max {warm[-1]:.1f}")
per_function = {}
for event in report["Events"][1:]:
    for d in event["Deliveries"]:
        per_function.setdefault(d["Function"], []).append(d["DurationMs"])
for function, values in sorted(per_function.items()):
    print(f"  {function:<26} median {statistics.median(values):.1f} ms in the function")
PY
