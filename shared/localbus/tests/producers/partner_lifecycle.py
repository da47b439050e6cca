"""A partner event source's lifecycle through `localbus serve` (the Partner Onboarding Guide).

create (PENDING: events dropped) -> customer bus (ACTIVE: events delivered) -> bus deleted
(PENDING) -> bus again (ACTIVE) -> source deleted (puts answered ResourceNotFoundException).
Usage: partner_lifecycle.py ENDPOINT; prints {"delivered": [event ids], "dropped": [event ids]}.
"""
import json
import sys

from common import check, client, error_code

events = client(sys.argv[1])
source = "aws.partner/shop.example/lifecycle"
account = "123456789012"


def state():
    accounts = events.list_partner_event_source_accounts(EventSourceName=source)["PartnerEventSourceAccounts"]
    return accounts[0]["State"]


def put(order_id):
    answer = events.put_partner_events(
        Entries=[{"Source": source, "DetailType": "OrderCreated", "Detail": json.dumps({"order_id": order_id})}]
    )
    return answer["Entries"][0]


arn = events.create_partner_event_source(Name=source, Account=account)["EventSourceArn"]
check(arn.endswith(f":event-source/{source}"), arn)
check(error_code(lambda: events.create_partner_event_source(Name=source, Account=account))[0] == "ResourceAlreadyExistsException", "twice")
check(events.describe_partner_event_source(Name=source)["Name"] == source, "describe")
check([s["Name"] for s in events.list_partner_event_sources(NamePrefix="aws.partner/shop.example")["PartnerEventSources"]] == [source], "list")
check(state() == "PENDING", state())
dropped = [put("pending-1")["EventId"]]
check(error_code(lambda: events.create_event_bus(Name="other", EventSourceName=source))[0] == "ValidationException", "name")
events.create_event_bus(Name=source, EventSourceName=source)
check(state() == "ACTIVE", state())
check(events.describe_event_source(Name=source)["State"] == "ACTIVE", "customer view")
delivered = [put("active-1")["EventId"]]
events.delete_event_bus(Name=source)
check(state() == "PENDING", state())
dropped.append(put("pending-2")["EventId"])
events.create_event_bus(Name=source, EventSourceName=source)
delivered.append(put("active-2")["EventId"])
events.delete_partner_event_source(Name=source, Account=account)
gone = put("deleted-1")
check(gone.get("ErrorCode") == "ResourceNotFoundException", gone)
check(error_code(lambda: events.describe_partner_event_source(Name=source))[0] == "ResourceNotFoundException", "gone")
print(json.dumps({"delivered": delivered, "dropped": dropped}))
