#!/usr/bin/env bash
# Seeds corpus/<target>/ from the conformance data (patterns and events as written).
set -euo pipefail
cd "$(dirname "$0")"
python3 - <<'PY'
import json, os, hashlib
data = "../tests/data"
os.makedirs("corpus/compile_pattern", exist_ok=True)
os.makedirs("corpus/match_event", exist_ok=True)
def put(target, text):
    b = text.encode()
    with open(f"corpus/{target}/{hashlib.sha1(b).hexdigest()}", "wb") as f:
        f.write(b)
for name in ["localstack-aws-validated-cases.jsonl", "edge-cases-event-ruler.jsonl",
             "event-ruler-quirks.jsonl"]:
    for line in open(os.path.join(data, name)):
        c = json.loads(line)
        p = c.get("pattern_raw") or json.dumps(c.get("pattern"))
        e = c.get("event_raw") or json.dumps(c.get("event"))
        put("compile_pattern", p)
        put("match_event", p.replace("\n", " ") + "\n" + e)
        put("match_event", e)
PY
echo "seeded: $(ls corpus/compile_pattern | wc -l) compile_pattern, $(ls corpus/match_event | wc -l) match_event"
