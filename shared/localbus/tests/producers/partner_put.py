"""Puts one partner order through `localbus serve`; with --setup first creates the partner source
and its customer bus (ACTIVE). Usage: partner_put.py ENDPOINT ORDER_ID [--setup]; prints the event id."""
import json
import sys

from common import check, client

events = client(sys.argv[1])
source = "aws.partner/shop.example/lifecycle"
if "--setup" in sys.argv:
    events.create_partner_event_source(Name=source, Account="123456789012")
    events.create_event_bus(Name=source, EventSourceName=source)
answer = events.put_partner_events(
    Entries=[{"Source": source, "DetailType": "OrderCreated", "Detail": json.dumps({"order_id": sys.argv[2]})}]
)
check(answer["FailedEntryCount"] == 0, answer)
print(json.dumps(answer["Entries"][0]["EventId"]))
