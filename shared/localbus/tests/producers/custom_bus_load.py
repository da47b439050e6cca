"""Load: N orders (distinct order ids and event groups, one SKU) put on the order stream (a Custom
Event Bus) through `localbus serve` by boto3's eventbridgev2 client, 100 per call.

Usage: custom_bus_load.py ENDPOINT N; prints {"orders": [[event id, order id], ...], "seconds": s,
"per_second": r}.
"""
import json
import sys
import time

import boto3

from common import check

v2 = boto3.client(
    "eventbridgev2",
    endpoint_url=sys.argv[1],
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
)
count = int(sys.argv[2])
arn = [b for b in v2.list_event_buses()["EventBuses"] if b["Name"].startswith("order-stream")][0][
    "EventBusArn"
]
orders = [
    {
        "order_id": f"v2load-{index:05d}",
        "customer_email": f"customer{index}@example.com",
        "items": [{"sku": "LOAD", "quantity": 1}],
        "timestamp": "2026-11-30T10:00:00Z",
    }
    for index in range(count)
]
put = []
started = time.perf_counter()
for first in range(0, count, 100):
    batch = orders[first:first + 100]
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
    put.extend([result["EventId"], order["order_id"]] for result, order in zip(answer["Entries"], batch))
seconds = time.perf_counter() - started
print(json.dumps({"orders": put, "seconds": seconds, "per_second": count / seconds}))
