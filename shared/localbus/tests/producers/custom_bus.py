"""The Custom Event Bus API of `localbus serve` through boto3's eventbridgev2 client (RPC v2 CBOR).

Usage: custom_bus.py ENDPOINT RUN_ID. Lists and describes the order stream bus and its subscribers,
puts three orders (one event group and one de-duplication id each), puts the first again
(DEDUPLICATED), then makes the bad requests; prints every answer as JSON.
"""
import json
import sys

import boto3
from botocore.config import Config

from common import check, error_code, load

endpoint, run = sys.argv[1], sys.argv[2]
# No client-side validation: the 101-entry request must reach serve.
v2 = boto3.client(
    "eventbridgev2",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
    config=Config(parameter_validation=False, retries={"max_attempts": 1}),
)
sample = load("events/order-created.json")


def order(n):
    order_id = f"{run}-{n}"
    detail = dict(sample["detail"], order_id=order_id)
    return {
        "Source": "com.ecommerce.orders",
        "DetailType": "OrderCreated",
        "Detail": json.dumps(detail),
        "SystemMetadata": {"EventGroupId": order_id, "DeduplicationId": order_id},
    }


def plain(answer):
    answer.pop("ResponseMetadata", None)
    return answer


buses = v2.list_event_buses()["EventBuses"]
stream = [b for b in buses if b["Name"].startswith("order-stream")]
check(len(stream) == 1, buses)
arn = stream[0]["EventBusArn"]
described = plain(v2.describe_event_bus(EventBusArn=arn))
subscribers = v2.list_subscribers(EventBusArn=arn)["Subscribers"]
check(len(subscribers) == 1, subscribers)
subscriber = plain(v2.describe_subscriber(SubscriberArn=subscribers[0]["SubscriberArn"]))

put = plain(v2.put_events(EventBusArn=arn, Entries=[order(1), order(2), order(3)]))
again = plain(v2.put_events(EventBusArn=arn, Entries=[order(1)]))
malformed = plain(
    v2.put_events(
        EventBusArn=arn,
        Entries=[{"Source": "com.ecommerce.orders", "DetailType": "OrderCreated", "Detail": "[1]"}],
    )
)
errors = {
    "unknown_bus": error_code(lambda: v2.put_events(EventBusArn=arn + "x", Entries=[order(9)])),
    "too_many": error_code(
        lambda: v2.put_events(EventBusArn=arn, Entries=[order(100 + n) for n in range(101)])
    ),
    "no_entries": error_code(lambda: v2.put_events(EventBusArn=arn, Entries=[])),
    "unknown_subscriber": error_code(lambda: v2.describe_subscriber(SubscriberArn="nope")),
}
# Still serving after the bad requests.
after = v2.list_event_buses()["EventBuses"]

print(
    json.dumps(
        {
            "buses": buses,
            "described": described,
            "subscribers": subscribers,
            "subscriber": subscriber,
            "put": put,
            "again": again,
            "malformed": malformed,
            "errors": errors,
            "after": after,
        },
        default=str,
    )
)
