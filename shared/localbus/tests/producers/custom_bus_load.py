"""Load: N orders (distinct order ids and event groups, one SKU) put on the order stream (a Custom
Event Bus) through `localbus serve` by boto3's eventbridgev2 client, 100 per call.

Usage: custom_bus_load.py ENDPOINT N; prints {"orders": [[event id, order id], ...], "seconds": s,
"per_second": r}.
"""
import json
import sys

import boto3

from common import check, load_orders, timed_puts

v2 = boto3.client(
    "eventbridgev2",
    endpoint_url=sys.argv[1],
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
arn = [b for b in v2.list_event_buses()["EventBuses"] if b["Name"].startswith("order-stream")][0][
    "EventBusArn"
]


def put_batch(batch):
    entries = [
        {
            "Source": "com.ecommerce.orders",
            "DetailType": "OrderCreated",
            "Detail": json.dumps(order),
            "SystemMetadata": {"EventGroupId": order["order_id"]},
        }
        for order in batch
    ]
    answer = v2.put_events(EventBusArn=arn, Entries=entries)
    check(answer["FailedEntryCount"] == 0, answer)
    check(all(r["SuccessCode"] == "PUBLISHED" for r in answer["Entries"]), answer)
    return [result["EventId"] for result in answer["Entries"]]


timed_puts(load_orders("v2load", int(sys.argv[2])), 100, put_batch)
