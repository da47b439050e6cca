"""Load: N orders (distinct order ids, one SKU) put through `localbus serve` by boto3, 10 per call.

Usage: load.py ENDPOINT N; prints {"orders": [[event id, order id], ...], "seconds": s, "per_second": r}.
"""
import sys

from common import check, client, entry, load_orders, timed_puts

events = client(sys.argv[1])


def put_batch(batch):
    answer = events.put_events(Entries=[entry(order, "orders-dev") for order in batch])
    check(answer["FailedEntryCount"] == 0, answer)
    return [result["EventId"] for result in answer["Entries"]]


timed_puts(load_orders("load", int(sys.argv[2])), 10, put_batch)
