#!/usr/bin/env bash
# Seeds corpus/<target>/ from the sample events (events/*.json) and the JSON payloads written in
# the decode and dispatch tests (raw string literals of shared/src/decode/tests.rs,
# shared/tests/dispatch.rs and shared/tests/samples.rs; `format!` braces undoubled).
set -euo pipefail
cd "$(dirname "$0")"
python3 - <<'PY'
import glob, hashlib, json, os, re

os.makedirs("corpus/direct_event", exist_ok=True)
os.makedirs("corpus/sqs_batch", exist_ok=True)

def put(target, data):
    with open(f"corpus/{target}/{hashlib.sha1(data).hexdigest()}", "wb") as f:
        f.write(data)

payloads = [open(path, "rb").read() for path in sorted(glob.glob("../../events/*.json"))]
literal = re.compile(r'r(#+)"(.*?)"\1', re.S)
for path in ["../src/decode/tests.rs", "../tests/dispatch.rs", "../tests/samples.rs"]:
    for match in literal.finditer(open(path).read()):
        text = match.group(2)
        if "{" not in text:
            continue
        payloads.append(text.encode())
        undoubled = text.replace("{{", "{").replace("}}", "}")
        if undoubled != text:
            payloads.append(undoubled.encode())

events = []
for payload in payloads:
    put("direct_event", payload)
    put("sqs_batch", b"\x00" + payload)
    try:
        value = json.loads(payload)
    except ValueError:
        continue
    if isinstance(value, dict) and "detail" in value:
        events.append(payload)
        put("sqs_batch", b"\x01" + payload)
        put("sqs_batch", b"\x02" + payload)
for i in range(0, len(events), 3):
    put("sqs_batch", b"\x01" + b"\xff".join(events[i:i + 3]))
    put("sqs_batch", b"\x02" + b"\xff".join(reversed(events[i:i + 3])))
PY
echo "seeded: $(ls corpus/direct_event | wc -l) direct_event, $(ls corpus/sqs_batch | wc -l) sqs_batch"
