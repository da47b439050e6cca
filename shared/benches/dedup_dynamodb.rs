//! Added latency of durable de-duplication per event: a first delivery (claim + completion) and a
//! duplicate (one failed conditional put), through the real aws-sdk-dynamodb client against moto
//! server on loopback (started by the bench). Needs the tools of scripts/setup.sh.
//!
//! Run: `source scripts/env.sh && cargo bench -p eventbridge-lambda --features dynamodb --bench dedup_dynamodb`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_dynamodb::Client;
use criterion::{Criterion, criterion_group, criterion_main};
use eventbridge_lambda::dedup::{
    CachedStore, Claim, ClaimRequest, Completed, DedupStore, DynamoStore, MemoryStore,
};
use eventbridge_lambda_testing::{MotoServer, create_table};
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let moto = MotoServer::start().expect("moto server (source scripts/env.sh first)");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime.block_on(async {
        let client = Client::new(&moto.sdk_config().await);
        create_table(&client, "dedup", "id").await.unwrap();
        client
    });
    let durable = DynamoStore::new(client, "dedup", Duration::from_secs(3600));
    let cached = CachedStore::new(MemoryStore::default(), durable.clone());
    let memory = MemoryStore::default();
    let until = u64::MAX / 2;
    let mut group = c.benchmark_group("dedup_per_event");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(8));
    let mut n = 0u64;
    group.bench_function("memory/first_delivery", |b| {
        b.iter(|| {
            n += 1;
            let key = format!("fn#m-{n}");
            runtime.block_on(async {
                let claim = ClaimRequest::new(&key, "token", until);
                assert_eq!(memory.claim(&claim).await.unwrap(), Claim::Acquired);
                memory.complete(&claim, None).await.unwrap();
            })
        })
    });
    group.bench_function("dynamodb/first_delivery", |b| {
        b.iter(|| {
            n += 1;
            let key = format!("fn#d-{n}");
            runtime.block_on(async {
                let claim = ClaimRequest::new(&key, "token", until);
                assert_eq!(cached.claim(&claim).await.unwrap(), Claim::Acquired);
                cached.complete(&claim, None).await.unwrap();
            })
        })
    });
    runtime.block_on(async {
        // Completed through the cache, as the same execution environment would.
        let first = ClaimRequest::new("fn#dup", "first", until);
        cached.claim(&first).await.unwrap();
        cached.complete(&first, None).await.unwrap();
    });
    let again = ClaimRequest::new("fn#dup", "again", until);
    // Another execution environment: only the table knows the key.
    group.bench_function("dynamodb/duplicate", |b| {
        b.iter(|| {
            runtime.block_on(async {
                assert_eq!(
                    durable.claim(&again).await.unwrap(),
                    Claim::Completed(Completed::empty())
                )
            })
        })
    });
    group.bench_function("dynamodb/duplicate_cached", |b| {
        b.iter(|| {
            runtime.block_on(async {
                assert_eq!(
                    cached.claim(&again).await.unwrap(),
                    Claim::Completed(Completed::empty())
                )
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
