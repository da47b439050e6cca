//! Events per second through one dispatcher at concurrency 1 and 8, for a handler that waits
//! 5 ms on I/O: what `AWS_LAMBDA_MAX_CONCURRENCY` (Lambda Managed Instances) buys an I/O-bound
//! function. `cargo bench -p eventbridge-lambda --bench concurrency`.
//!
//! Each of `concurrency` workers takes the next event and invokes the dispatcher (as
//! `lambda_runtime`'s concurrent mode runs one `/next` loop per worker), on a multi-threaded
//! runtime sharing one dispatcher and its in-memory de-duplication store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use eventbridge_lambda::{Context, Dispatcher, Event, OrderCreated};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const EVENTS: usize = 800;
const IO_WAIT: Duration = Duration::from_millis(5);

fn payload(index: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "version": "0", "id": format!("e-{index}"), "detail-type": "OrderCreated",
        "source": "com.ecommerce.orders", "account": "123456789012",
        "time": "2023-10-27T10:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"order_id": format!("o-{index}"), "customer_email": "customer@example.com",
                   "items": [{"sku": "ABC", "quantity": 2}], "timestamp": "2023-10-27T10:00:00Z"}
    }))
    .unwrap()
}

fn events_per_second(concurrency: usize, payloads: &Arc<Vec<Vec<u8>>>) -> f64 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dispatcher = Arc::new(Dispatcher::new(
        |event: Event<OrderCreated>, _ctx: Context| async move {
            tokio::time::sleep(IO_WAIT).await; // a DynamoDB or SES call
            Ok::<_, std::io::Error>(event.detail.order_id)
        },
    ));
    runtime.block_on(async {
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let (dispatcher, next, payloads) =
                    (dispatcher.clone(), next.clone(), payloads.clone());
                tokio::spawn(async move {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(payload) = payloads.get(index) else {
                            break;
                        };
                        dispatcher
                            .invoke(payload, Context::default())
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.unwrap();
        }
        EVENTS as f64 / started.elapsed().as_secs_f64()
    })
}

fn main() {
    let payloads = Arc::new((0..EVENTS).map(payload).collect::<Vec<_>>());
    for concurrency in [1, 8] {
        let rates: Vec<f64> = (0..3)
            .map(|_| events_per_second(concurrency, &payloads))
            .collect();
        println!(
            "concurrency {concurrency}: {:.0} events/s (runs: {})",
            rates.iter().copied().fold(f64::NAN, f64::max),
            rates
                .iter()
                .map(|rate| format!("{rate:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}
