"""How many e-mails moto's SES sent whose subject contains TEXT (moto's data API; boto3's SES has no
way to list them). Usage: ses_sent.py MOTO_ENDPOINT TEXT; prints the count."""
import json
import sys
import urllib.request

with urllib.request.urlopen(f"{sys.argv[1]}/moto-api/data.json") as answer:
    data = json.loads(answer.read())
messages = data.get("ses", {}).get("Message", [])
print(json.dumps(sum(1 for m in messages if sys.argv[2] in (m.get("subject") or ""))))
