"""One PutEvents call through `localbus serve`. Usage: put_events.py ENDPOINT ENTRIES_JSON; prints the answer."""
import json
import sys

from common import check, client

answer = client(sys.argv[1]).put_events(Entries=json.loads(sys.argv[2]))
check(answer["FailedEntryCount"] == 0, answer)
answer.pop("ResponseMetadata", None)
print(json.dumps(answer))
