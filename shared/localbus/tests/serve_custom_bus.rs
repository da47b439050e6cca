//! `localbus serve` speaks the Custom Event Bus API (`eventbridgev2`, Smithy RPC v2 CBOR) for the
//! template's `AWS::EventsV2::*` resources, driven by real clients: boto3's `eventbridgev2`
//! client and the Rust SDK (`aws-sdk-eventbridgev2`). Orders published to template.yaml's
//! OrderStreamBus reach the real inventory bootstrap (host build, under the Lambda Runtime
//! Interface Emulator) in batches; the reservations are read back from moto. Each test starts its
//! own serve, moto and state directory.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod common;
mod serve_custom_bus_support;

use common::runtime;
use eventbridge_lambda_testing::{MotoServer, get_item};
use serde_json::Value;
use serve_custom_bus_support::*;
use std::collections::BTreeSet;
use std::time::Duration;

#[test]
fn boto3_publishes_orders_to_the_order_stream_and_the_inventory_function_gets_them_in_batches() {
    let moto = MotoServer::start().unwrap();
    let state = state_dir("boto3");
    let mut serve = serve(&moto, &state);
    let run = format!("v2serve-{}", std::process::id());
    let answer = serve.python("custom_bus.py", &[&run]);

    // The template's bus and subscriber, as the API describes them.
    let arn = answer["described"]["EventBusArn"].as_str().unwrap();
    assert!(arn.contains(":event-busv2/order-stream-dev/"), "{answer:#}");
    assert_eq!(
        answer["described"]["StorageConfiguration"]["RetentionPeriodInDays"],
        7
    );
    assert_eq!(answer["described"]["State"], "ACTIVE");
    let subscriber = &answer["subscriber"];
    assert_eq!(subscriber["Name"], "inventory-dev");
    assert_eq!(subscriber["Type"], "FIFO");
    assert_eq!(subscriber["Transformer"]["Type"], "WITH_METADATA");
    assert_eq!(subscriber["BatchConfiguration"]["MaxBatchSize"], 10);
    assert!(
        subscriber["InvokeConfiguration"]["TargetArn"]
            .as_str()
            .unwrap()
            .ends_with(":function:localbus-InventoryFunction"),
        "{subscriber:#}"
    );

    // Three orders published, in sequence; the first again: DEDUPLICATED, with its first id.
    let put = answer["put"]["Entries"].as_array().unwrap();
    assert_eq!(answer["put"]["FailedEntryCount"], 0, "{answer:#}");
    assert!(put.iter().all(|e| e["SuccessCode"] == "PUBLISHED"));
    let sequence = |e: &Value| {
        e["SequenceNumber"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap()
    };
    assert!(sequence(&put[0]) < sequence(&put[1]) && sequence(&put[1]) < sequence(&put[2]));
    let again = &answer["again"]["Entries"][0];
    assert_eq!(again["SuccessCode"], "DEDUPLICATED", "{answer:#}");
    assert_eq!(again["EventId"], put[0]["EventId"]);
    // A malformed entry is the entry's error, not the call's.
    assert_eq!(answer["malformed"]["FailedEntryCount"], 1);
    assert_eq!(
        answer["malformed"]["Entries"][0]["ErrorCode"],
        "MalformedDetail"
    );

    // Bad requests: the model's errors, and serve keeps serving.
    let errors = &answer["errors"];
    assert_eq!(
        errors["unknown_bus"][0], "ResourceNotFoundException",
        "{errors:#}"
    );
    assert_eq!(errors["too_many"][0], "InvalidInputException", "{errors:#}");
    assert!(
        errors["too_many"][1].as_str().unwrap().contains("101"),
        "{errors:#}"
    );
    assert_eq!(
        errors["no_entries"][0], "InvalidInputException",
        "{errors:#}"
    );
    assert_eq!(errors["unknown_subscriber"][0], "ResourceNotFoundException");
    assert_eq!(answer["after"], answer["buses"]);

    // Delivered in the background: each published order once, the duplicate never, in
    // sequence order, WITH_METADATA records in arrays (MaxBatchSize 10).
    let lines = batches_of(&mut serve, 3);
    let published: Vec<String> = put
        .iter()
        .map(|e| e["EventId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(delivered_ids(&lines), published, "{lines:#?}");
    for line in &lines {
        assert_eq!(line["Outcome"], "Succeeded", "{line:#}");
        assert_eq!(line["Attempts"], 1);
        assert_eq!(line["Subscriber"], "OrderStreamInventorySubscriber");
        assert_eq!(line["Function"], "InventoryFunction");
        assert_eq!(line["Bus"], "order-stream-dev");
        assert!(line["Error"].is_null(), "{line:#}");
        let records = line["Payload"].as_array().unwrap();
        assert_eq!(records.len(), line["EventIds"].as_array().unwrap().len());
        for (record, id) in records.iter().zip(line["EventIds"].as_array().unwrap()) {
            assert_eq!(record["SystemMetadata"]["aws:EventId"], *id);
            assert_eq!(record["SystemMetadata"]["aws:DeliveryType"], "LIVE");
            assert_eq!(
                record["SystemMetadata"]["EventGroupId"],
                record["Data"]["detail"]["order_id"]
            );
        }
    }

    // The side effect, once per order, in moto.
    runtime().block_on(async {
        let dynamodb = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
        for n in 1..=3 {
            let order_id = format!("{run}-{n}");
            let reservation = get_item(
                &dynamodb,
                "localbus-ReservationsTable",
                "order_id",
                &order_id,
            )
            .await
            .unwrap();
            assert!(reservation.is_some(), "{order_id} not reserved");
        }
    });

    // Unknown operations and bodies that are not CBOR get the protocol's error shape.
    let (status, body, head) = raw_post(
        &serve.endpoint,
        "/service/AWSEventsV2/operation/PutNothing",
        b"",
    );
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["__type"], "UnknownOperationException");
    assert!(head.contains("smithy-protocol: rpc-v2-cbor"), "{head}");
    assert!(head.contains("content-type: application/cbor"), "{head}");
    let (status, body, _) = raw_post(
        &serve.endpoint,
        "/service/AWSEventsV2/operation/PutEvents",
        b"\xff\x00",
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["__type"], "SerializationException");

    assert!(serve.stop().success(), "{}", serve.stderr());
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn the_rust_sdk_gets_the_same_put_events_answer_shape() {
    use aws_sdk_eventbridgev2::types::SuccessCode;

    let moto = MotoServer::start().unwrap();
    let state = state_dir("sdk");
    let mut serve = serve(&moto, &state);
    let run = format!("v2sdk-{}", std::process::id());
    let (put, again, missing, bus) = runtime().block_on(async {
        let client = sdk_client(&moto, &serve).await;
        let buses = client.list_event_buses().send().await.unwrap();
        let bus = buses
            .event_buses()
            .iter()
            .find(|b| b.name() == Some("order-stream-dev"))
            .unwrap()
            .event_bus_arn()
            .unwrap()
            .to_owned();
        let entry = order_entry(&run);
        let put = client
            .put_events()
            .event_bus_arn(&bus)
            .entries(entry.clone())
            .send()
            .await
            .unwrap();
        let again = client
            .put_events()
            .event_bus_arn(&bus)
            .entries(entry)
            .send()
            .await
            .unwrap();
        let missing = client
            .describe_event_bus()
            .event_bus_arn(format!("{bus}x"))
            .send()
            .await
            .unwrap_err();
        (put, again, missing, bus)
    });
    assert_eq!(put.failed_entry_count(), 0);
    let first = &put.entries()[0];
    assert_eq!(first.success_code(), Some(&SuccessCode::Published));
    assert!(first.event_id().is_some_and(|id| !id.is_empty()));
    assert!(first.sequence_number().unwrap().parse::<u128>().unwrap() > 1 << 53);
    assert_eq!(first.error_code(), None);
    let second = &again.entries()[0];
    assert_eq!(second.success_code(), Some(&SuccessCode::Deduplicated));
    assert_eq!(second.event_id(), first.event_id());
    assert!(
        missing
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{missing:?}"
    );
    assert!(bus.contains(":event-busv2/order-stream-dev/"));

    let lines = batches_of(&mut serve, 1);
    assert_eq!(delivered_ids(&lines), [first.event_id().unwrap()]);
    assert_eq!(lines[0]["Outcome"], "Succeeded", "{lines:#?}");
    let ids: BTreeSet<&str> = lines[0]["EventGroupIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert_eq!(ids, BTreeSet::from([run.as_str()]));
    assert!(serve.stop().success(), "{}", serve.stderr());
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn a_point_in_time_subscriber_replays_the_events_kept_by_an_earlier_serve() {
    const REPLAY_FIXTURE: &str = "shared/localbus/tests/fixtures/order-stream-replay.yaml";
    let moto = MotoServer::start().unwrap();
    let state = state_dir("replay");
    let run = format!("v2replay-{}", std::process::id());
    let first_order = format!("{run}-1");
    let first = {
        let mut serve = serve_template(&moto, &state, REPLAY_FIXTURE);
        let id = put_order(&moto, &serve, "order-stream-test", &first_order);
        let lines = batches_of(&mut serve, 1);
        assert_eq!(lines[0]["DeliveryTypes"][0], "LIVE", "{lines:#?}");
        assert!(serve.stop().success(), "{}", serve.stderr());
        id
    };
    assert!(state.join("order-stream-test/events.jsonl").is_file());

    // A new serve on the same state: the subscriber (POINT_IN_TIME, HORIZON) first receives the
    // retained event as REPLAY, then what is published now as LIVE, in order.
    let mut serve = serve_template(&moto, &state, REPLAY_FIXTURE);
    let second = put_order(&moto, &serve, "order-stream-test", &format!("{run}-2"));
    let lines = batches_of(&mut serve, 2);
    assert_eq!(delivered_ids(&lines), [first, second], "{lines:#?}");
    let kinds: Vec<&Value> = lines
        .iter()
        .flat_map(|l| l["DeliveryTypes"].as_array().unwrap())
        .collect();
    assert_eq!(kinds, ["REPLAY", "LIVE"], "{lines:#?}");
    // The replayed order was reserved by the first serve: the function's business key knows it.
    let replayed = &lines[0];
    assert_eq!(replayed["Outcome"], "Succeeded", "{replayed:#}");
    assert_eq!(
        replayed["Payload"]["detail"]["order_id"],
        first_order.as_str()
    );
    assert!(
        replayed["Logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("duplicate delivery skipped")),
        "{replayed:#}"
    );
    assert!(serve.stop().success(), "{}", serve.stderr());
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn a_failing_batch_exhausts_the_retry_policy_its_record_lands_in_the_on_failure_queue_and_serve_delivers_on()
 {
    let moto = MotoServer::start().unwrap();
    let state = state_dir("failure");
    let mut serve = serve(&moto, &state);
    let run = format!("v2fail-{}", std::process::id());
    // An order without items: the inventory function rejects it on every attempt.
    let bad_order = format!("{run}-bad");
    let mut detail = order_detail(&bad_order);
    detail.as_object_mut().unwrap().remove("items");
    let bad = put_entry(
        &moto,
        &serve,
        "order-stream-dev",
        entry_of(detail, &bad_order),
    );
    let lines = batches_of(&mut serve, 1);
    let failed = &lines[0];
    assert_eq!(delivered_ids(&lines), std::slice::from_ref(&bad));
    // One attempt and the template's 5 retries (MaxEventAgeInSeconds 3600 allows them).
    assert_eq!(failed["Outcome"], "Failed", "{failed:#}");
    assert_eq!(failed["Attempts"], 6, "{failed:#}");
    assert_eq!(failed["ExhaustedRetryCondition"], "MaximumRetryAttempts");
    assert_eq!(
        failed["SentTo"]["Queue"], "OrderStreamFailureQueue",
        "{failed:#}"
    );
    let record = &failed["FailureRecord"];
    assert_eq!(record["retryAttempts"], 5);
    assert_eq!(record["failedMessages"][0]["eventId"], bad.as_str());
    assert_eq!(
        record["failedMessages"][0]["eventGroupId"],
        bad_order.as_str()
    );

    // The record is in the queue, without the payload.
    let bodies = common::queue_messages(&moto, "localbus-OrderStreamFailureQueue");
    assert_eq!(bodies.len(), 1, "{bodies:#?}");
    assert_eq!(bodies[0]["failedMessages"][0]["eventId"], bad.as_str());
    assert!(bodies[0].get("detail").is_none() && bodies[0].get("Data").is_none());

    // The subscriber goes on with the next event.
    let good_order = format!("{run}-good");
    let good = put_order(&moto, &serve, "order-stream-dev", &good_order);
    let lines = batches_of(&mut serve, 2);
    assert_eq!(delivered_ids(&lines), [bad, good]);
    assert_eq!(lines[1]["Outcome"], "Succeeded", "{:#}", lines[1]);
    assert!(serve.stop().success(), "{}", serve.stderr());
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn load_of_a_thousand_orders_on_the_order_stream_every_reservation_once_nothing_pending() {
    const ORDERS: usize = 1000;
    let moto = MotoServer::start().unwrap();
    let state = state_dir("load");
    let seed = state.with_extension("seed.json");
    std::fs::write(
        &seed,
        r#"{"InventoryTable": [{"sku": "LOAD", "available": 100000}]}"#,
    )
    .unwrap();
    let seed_arg = format!("file://{}", seed.display());
    let mut serve = common::serve::Serve::start(
        &common::functions_dir(),
        &[
            "--endpoint-url",
            &moto.endpoint(),
            "--seed",
            &seed_arg,
            "--state-dir",
            state.to_str().unwrap(),
        ],
    );
    let started = std::time::Instant::now();
    let answer = serve.python("custom_bus_load.py", &[&ORDERS.to_string()]);
    let lines = batches_within(&mut serve, ORDERS, Duration::from_secs(900));
    let drained = started.elapsed();
    let _ = std::fs::remove_file(&seed);
    // Every order once, in publish order (one FIFO subscriber), every batch delivered.
    let published: Vec<String> = answer["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair[0].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(delivered_ids(&lines), published);
    assert!(
        lines.iter().all(|l| l["Outcome"] == "Succeeded"),
        "{lines:#?}"
    );
    let sizes: Vec<usize> = lines
        .iter()
        .map(|l| l["EventIds"].as_array().unwrap().len())
        .collect();
    assert!(
        sizes.iter().all(|&size| (1..=10).contains(&size)),
        "{sizes:?}"
    );
    let mut latencies: Vec<f64> = lines
        .iter()
        .map(|l| l["PutToDoneMs"].as_f64().unwrap())
        .collect();
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    // Recorded in docs/benchmarks.md ("localbus serve under load: the Custom Event Bus"); not
    // asserted.
    println!(
        "serve custom bus load: {ORDERS} orders, PutEvents accepted {:.0} events/s ({:.2} s of puts); {} batches (mean {:.1} events); put to batch done p50 {:.0} ms, p99 {:.0} ms; all delivered {:.1} s after the first put",
        answer["per_second"].as_f64().unwrap(),
        answer["seconds"].as_f64().unwrap(),
        lines.len(),
        ORDERS as f64 / lines.len() as f64,
        percentile(50),
        percentile(99),
        drained.as_secs_f64()
    );
    common::assert_load_orders_stored(&moto, ORDERS, &["localbus-ReservationsTable"]);
    // Stopping finds nothing pending.
    assert!(serve.stop().success(), "{}", serve.stderr());
    assert!(
        !serve.stderr().contains("waiting up to"),
        "{}",
        serve.stderr()
    );
    let _ = std::fs::remove_dir_all(&state);
}
