"""The order service publishing to `localbus serve` with boto3 (scenarios §1), with bad input on the way.

Usage: producer.py ENDPOINT; prints {"put": [event ids], "again": [event ids]} on success.
"""
import json
import sys

from common import check, client, entry, error_code, load, raw

endpoint = sys.argv[1]
events = client(endpoint)

names = [bus["Name"] for bus in events.list_event_buses()["EventBuses"]]
check(names == ["default", "orders-dev"], f"buses {names}")
check(events.describe_event_bus(Name="orders-dev")["Arn"].endswith(":event-bus/orders-dev"), "describe")
rules = [rule["Name"] for rule in events.list_rules(EventBusName="orders-dev")["Rules"]]
check("EmailFunctionOrderCreated" in rules and len(rules) == 4, f"rules {rules}")
targets = events.list_targets_by_rule(Rule="ShippingOrderCreatedRule", EventBusName="orders-dev")["Targets"]
check(targets and targets[0]["Arn"].endswith(":shipping-notifications-queue-dev"), f"targets {targets}")

orders = [load("events/order-created.json")["detail"], load("events/order-created-full.json")["detail"]]
bus = "orders-dev"
answer = events.put_events(
    Entries=[entry(orders[0], bus), {**entry(orders[1], bus), "Detail": "{not json"}, entry(orders[1], bus)]
)
check(answer["FailedEntryCount"] == 1, answer)
results = answer["Entries"]
check(results[1] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}, results)
put = [results[0]["EventId"], results[2]["EventId"]]

# Bad input of every kind, each answered with AWS's error shape; the server keeps serving.
code = error_code(lambda: events.test_event_pattern(EventPattern='{"source": []}', Event=json.dumps(load("events/order-created.json"))))
check(code == ("InvalidEventPatternException", "Event pattern is not valid. Reason: Empty arrays are not allowed"), code)
check(error_code(lambda: events.put_events(Entries=[entry(orders[0], bus)] * 11))[0] == "ValidationException", "11 entries")
missing = events.put_events(Entries=[{**entry(orders[0], "no-such-bus")}])["Entries"][0]
check(missing["ErrorCode"] == "ResourceNotFoundException", missing)
check(error_code(lambda: events.describe_event_bus(Name="nope"))[0] == "ResourceNotFoundException", "describe nope")
for target, body, expected in [
    (None, b"{}", "UnknownOperationException"),
    ("AWSEvents.PutRule", b"{}", "UnknownOperationException"),
    ("AWSEvents.PutEvents", b"{not json", "SerializationException"),
    ("AWSEvents.PutEvents", b"[]", "SerializationException"),
    ("AWSEvents.PutEvents", b'{"Entries": "x"}', "SerializationException"),
]:
    status, body = raw(endpoint, target, body)
    check(status == 400 and body["__type"] == expected and body["message"], (target, status, body))
check(events.test_event_pattern(EventPattern='{"source": ["com.ecommerce.orders"]}', Event=json.dumps(load("events/order-created.json")))["Result"], "pattern")

# The producer re-sends the same orders: new event ids, the same business keys.
again = events.put_events(Entries=[entry(orders[0], bus), entry(orders[1], bus)])
check(again["FailedEntryCount"] == 0, again)
print(json.dumps({"put": put, "again": [e["EventId"] for e in again["Entries"]]}))
