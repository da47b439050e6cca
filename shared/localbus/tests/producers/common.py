"""What the producer scripts share: a boto3 EventBridge client for `localbus serve`, and raw calls."""
import json
import sys
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
