"""Load: N orders (distinct order ids, one SKU) put through `localbus serve` by boto3, 10 per call.

Usage: load.py ENDPOINT N; prints {"orders": [[event id, order id], ...], "seconds": s, "per_second": r}.
"""
import json
import sys
import time

from common import check, client, entry

events = client(sys.argv[1])
count = int(sys.argv[2])
orders = [
    {
        "order_id": f"load-{index:05d}",
        "customer_email": f"customer{index}@example.com",
        "items": [{"sku": "LOAD", "quantity": 1}],
        "timestamp": "2026-11-30T10:00:00Z",
    }
    for index in range(count)
]
put = []
started = time.perf_counter()
for first in range(0, count, 10):
    batch = orders[first:first + 10]
    answer = events.put_events(Entries=[entry(order, "orders-dev") for order in batch])
    check(answer["FailedEntryCount"] == 0, answer)
    put.extend([result["EventId"], order["order_id"]] for result, order in zip(answer["Entries"], batch))
seconds = time.perf_counter() - started
print(json.dumps({"orders": put, "seconds": seconds, "per_second": count / seconds}))
