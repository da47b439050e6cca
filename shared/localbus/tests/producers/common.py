"""What the producer scripts share: a boto3 EventBridge client for `localbus serve`, raw calls,
and the load runs' orders and timed puts."""
import json
import sys
import time
import urllib.error
import urllib.request

import boto3


def client(endpoint):
    """An EventBridge client of boto3 (botocore, the AWS CLI's engine) pointed at serve."""
    return boto3.client(
        "events",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def raw(endpoint, target, body):
    """One POST with any X-Amz-Target and body: (status, parsed answer)."""
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target is not None:
        headers["X-Amz-Target"] = target
    request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def error_code(call):
    """The AWS error code `call` raises (None when it succeeds)."""
    try:
        call()
    except client("http://unused").exceptions.ClientError as error:
        return error.response["Error"]["Code"], error.response["Error"]["Message"]
    return None


def entry(order, bus):
    """A PutEvents entry for an OrderCreated detail."""
    return {
        "Source": "com.ecommerce.orders",
        "DetailType": "OrderCreated",
        "Detail": json.dumps(order),
        "EventBusName": bus,
    }


def load(path):
    with open(path) as file:
        return json.load(file)


def check(condition, what):
    if not condition:
        print(f"check failed: {what}", file=sys.stderr)
        sys.exit(1)


def load_orders(prefix, count):
    """`count` OrderCreated details of one SKU, `LOAD`, with the order ids `{prefix}-00000`, ..."""
    return [
        {
            "order_id": f"{prefix}-{index:05d}",
            "customer_email": f"customer{index}@example.com",
            "items": [{"sku": "LOAD", "quantity": 1}],
            "timestamp": "2026-11-30T10:00:00Z",
        }
        for index in range(count)
    ]


def timed_puts(orders, per_call, put_batch):
    """Puts `orders`, `per_call` at a time, with `put_batch(batch)` (which returns the event ids),
    and prints {"orders": [[event id, order id], ...], "seconds": s, "per_second": r}."""
    put = []
    started = time.perf_counter()
    for first in range(0, len(orders), per_call):
        batch = orders[first:first + per_call]
        put.extend([event_id, order["order_id"]] for event_id, order in zip(put_batch(batch), batch))
    seconds = time.perf_counter() - started
    print(json.dumps({"orders": put, "seconds": seconds, "per_second": len(orders) / seconds}))
