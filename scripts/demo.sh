#!/usr/bin/env bash
# The project's main job, locally, without Docker or an AWS account: `localbus send` puts a sample
# OrderCreated on OrdersBus twice (EventBridge delivers at least once) and delivers it through
# template.yaml's rules to the real function bootstraps, each under the Lambda Runtime Interface
# Emulator, against a local AWS endpoint (moto server) that localbus starts and provisions from the
# template (buses, tables, queues, the SES identity) and seeds with stock (events/local/seed.json).
# It prints, per target: attempts, outcome, time, response and the function's logs. Each put gets
# a new event id, as PutEvents gives one (a producer re-sending the order makes a new event too),
# so the event id alone would not reveal the second copy; every function de-duplicates on the
# order's business key (`dedup_key = order_id`), which skips it: one e-mail, one reservation, one
# shipment. `--keep-ids` would send the same event twice instead (EventBridge's own redelivery).
#
#   bash scripts/demo.sh [events/FILE.json]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh
event="${1:-events/order-created.json}"
target="${CARGO_TARGET_DIR:-$root/target}"

echo "== building localbus and the functions" >&2
packages=(-p localbus)
for dir in functions/*/; do packages+=(-p "$(basename "$dir")"); done
cargo build --locked "${packages[@]}"

echo "== localbus send $event (twice, as two events with new ids: order_id catches the copy) on OrdersBus" >&2
"$target/debug/localbus" send \
  --event "file://$event" --event "file://$event" \
  --event-bus-name OrdersBus \
  --seed file://events/local/seed.json \
  --functions-dir "$target/debug"
