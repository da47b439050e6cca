//! A Custom Event Bus's events on disk: `<state dir>/<bus name>/events.jsonl`, one published
//! event per line, kept for the bus's `RetentionPeriodInDays` (older lines are dropped when the
//! bus is opened), so a later run's `POINT_IN_TIME` subscriber replays them.
//!
//! Publishing assigns what the bus assigns: a bus event id (`aws:EventId`, not the envelope's
//! `id`), an increasing sequence number (a string: it exceeds 2^53), the ingestion time; and
//! de-duplicates as PutEvents does: an entry whose `DeduplicationId` (or, with
//! `CONTENT_BASED`, whose content) matches an event published in the last 5 minutes, in the
//! same event group when it has one, is answered `DEDUPLICATED` and not stored again.

use super::entry::Entry;
use super::{BusIdentity, V2Error};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The de-duplication window: 5 minutes.
pub(crate) const DEDUPLICATION_WINDOW_MS: i64 = 5 * 60 * 1000;

/// The first sequence number of a new bus: above 2^53, as AWS's are.
pub(crate) const FIRST_SEQUENCE: u128 = 10_000_000_000_000_000_001;

/// One event as the bus keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredEvent {
    /// `aws:EventId`.
    pub(crate) event_id: String,
    /// `aws:SequenceNumber`.
    pub(crate) sequence_number: String,
    /// When the bus took it, epoch milliseconds.
    pub(crate) ingested_at_ms: i64,
    /// The published data: for PutEvents, the Classic envelope.
    pub(crate) data: Value,
    /// `SystemMetadata` without `aws:DeliveryType` (which depends on the delivery).
    pub(crate) system_metadata: BTreeMap<String, String>,
    /// What de-duplication compares, when the entry had a key.
    pub(crate) dedup_key: Option<String>,
}

impl StoredEvent {
    /// `SystemMetadata.EventGroupId`.
    pub(crate) fn event_group_id(&self) -> Option<&str> {
        self.system_metadata.get("EventGroupId").map(String::as_str)
    }

    /// `SystemMetadata.DeduplicationId`.
    pub(crate) fn deduplication_id(&self) -> Option<&str> {
        self.system_metadata
            .get("DeduplicationId")
            .map(String::as_str)
    }
}

/// PutEvents' `SuccessCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SuccessCode {
    /// Stored and delivered.
    Published,
    /// A duplicate within the window: accepted, not stored or delivered again.
    Deduplicated,
}

impl SuccessCode {
    /// As the API spells it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SuccessCode::Published => "PUBLISHED",
            SuccessCode::Deduplicated => "DEDUPLICATED",
        }
    }
}

/// One PutEvents result entry.
#[derive(Debug, Clone)]
pub(crate) struct Published {
    /// `PUBLISHED` or `DEDUPLICATED`.
    pub(crate) code: SuccessCode,
    /// The event (for `DEDUPLICATED`, the one published first).
    pub(crate) event: StoredEvent,
}

/// The bus's retained events.
#[derive(Debug)]
pub(crate) struct BusStore {
    file: PathBuf,
    events: Vec<StoredEvent>,
}

fn store_error(path: &Path, source: std::io::Error) -> V2Error {
    V2Error::Store {
        path: path.display().to_string(),
        source,
    }
}

impl BusStore {
    /// Opens (or creates) the bus's file under `state_dir` and drops the events older than the
    /// retention period at `now_ms`.
    pub(crate) fn open(
        state_dir: &Path,
        bus: &BusIdentity,
        now_ms: i64,
    ) -> Result<BusStore, V2Error> {
        let dir = state_dir.join(&bus.name);
        std::fs::create_dir_all(&dir).map_err(|e| store_error(&dir, e))?;
        let file = dir.join("events.jsonl");
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(store_error(&file, error)),
        };
        let mut events = Vec::new();
        for (number, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let event: StoredEvent = serde_json::from_str(line).map_err(|e| {
                store_error(
                    &file,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("line {}: {e}", number + 1),
                    ),
                )
            })?;
            events.push(event);
        }
        let kept_from = now_ms - i64::from(bus.retention_days) * 86_400_000;
        let before = events.len();
        events.retain(|e| e.ingested_at_ms >= kept_from);
        let store = BusStore { file, events };
        if store.events.len() != before {
            store.rewrite()?;
        }
        Ok(store)
    }

    /// The retained events, in publish order.
    pub(crate) fn events(&self) -> &[StoredEvent] {
        &self.events
    }

    fn rewrite(&self) -> Result<(), V2Error> {
        let mut text = String::new();
        for event in &self.events {
            text.push_str(&serde_json::to_string(event).unwrap_or_default());
            text.push('\n');
        }
        std::fs::write(&self.file, text).map_err(|e| store_error(&self.file, e))
    }

    /// Publishes one entry at `now_ms` (see the module docs); `region` and `account` go into
    /// the envelope.
    pub(crate) fn publish(
        &mut self,
        entry: &Entry,
        content_based: bool,
        region: &str,
        account: &str,
        now_ms: i64,
    ) -> Result<Published, V2Error> {
        let dedup_key = dedup_key(entry, content_based);
        if let Some(key) = &dedup_key
            && let Some(first) = self.events.iter().rev().find(|e| {
                e.dedup_key.as_ref() == Some(key)
                    && now_ms - e.ingested_at_ms < DEDUPLICATION_WINDOW_MS
            })
        {
            return Ok(Published {
                code: SuccessCode::Deduplicated,
                event: first.clone(),
            });
        }
        let sequence = self
            .events
            .last()
            .and_then(|e| e.sequence_number.parse::<u128>().ok())
            .map_or(FIRST_SEQUENCE, |last| last + 1);
        let event = new_event(entry, dedup_key, sequence, region, account, now_ms);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
            .map_err(|e| store_error(&self.file, e))?;
        writeln!(
            file,
            "{}",
            serde_json::to_string(&event).unwrap_or_default()
        )
        .map_err(|e| store_error(&self.file, e))?;
        self.events.push(event.clone());
        Ok(Published {
            code: SuccessCode::Published,
            event,
        })
    }
}

/// The event the bus makes of `entry`: the Classic envelope as `Data` (with an envelope `id`
/// of its own, different from `aws:EventId`) and the system metadata.
pub(crate) fn new_event(
    entry: &Entry,
    dedup_key: Option<String>,
    sequence: u128,
    region: &str,
    account: &str,
    now_ms: i64,
) -> StoredEvent {
    let ingested = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
    let detail: Value = serde_json::from_str(&entry.detail).unwrap_or_else(|_| json!({}));
    let data = json!({
        "version": "0",
        "id": crate::deliver::request_id(),
        "detail-type": entry.detail_type,
        "source": entry.source,
        "account": account,
        "time": entry.time.clone().unwrap_or_else(|| ingested.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "region": region,
        "resources": entry.resources,
        "detail": detail,
    });
    let event_id = crate::deliver::request_id();
    let mut system_metadata = BTreeMap::from([
        ("aws:EventId".to_owned(), event_id.clone()),
        ("aws:SequenceNumber".to_owned(), sequence.to_string()),
        (
            "aws:IngestionTime".to_owned(),
            ingested.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        ),
        (
            "ContentType".to_owned(),
            "application/eventbridge+json".to_owned(),
        ),
        ("aws:Source".to_owned(), entry.source.clone()),
        ("aws:DetailType".to_owned(), entry.detail_type.clone()),
    ]);
    if let Some(group) = &entry.event_group_id {
        system_metadata.insert("EventGroupId".to_owned(), group.clone());
    }
    if let Some(id) = &entry.deduplication_id {
        system_metadata.insert("DeduplicationId".to_owned(), id.clone());
    }
    StoredEvent {
        event_id,
        sequence_number: sequence.to_string(),
        ingested_at_ms: now_ms,
        data,
        system_metadata,
        dedup_key,
    }
}

/// What de-duplication compares: the caller's `DeduplicationId`, else (with `CONTENT_BASED`)
/// the entry's content; scoped to the event group when there is one.
fn dedup_key(entry: &Entry, content_based: bool) -> Option<String> {
    let group = entry.event_group_id.as_deref().unwrap_or("");
    if let Some(id) = &entry.deduplication_id {
        return Some(format!("{group}\nid\n{id}"));
    }
    content_based.then(|| {
        format!(
            "{group}\ncontent\n{}\n{}\n{}\n{}",
            entry.source,
            entry.detail_type,
            entry.detail,
            entry.resources.join(",")
        )
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn bus(days: u32) -> BusIdentity {
        BusIdentity {
            logical_id: "B".into(),
            name: "stream".into(),
            arn: "arn".into(),
            retention_days: days,
        }
    }

    fn entry(group: &str, dedup: Option<&str>, detail: &str) -> Entry {
        Entry {
            source: "shop".into(),
            detail_type: "OrderCreated".into(),
            detail: detail.into(),
            time: None,
            resources: Vec::new(),
            event_group_id: Some(group.into()),
            deduplication_id: dedup.map(str::to_owned),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "localbus-store-{name}-{}",
            crate::deliver::request_id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn events_get_ids_sequence_numbers_and_metadata_and_are_kept_on_disk() {
        let dir = temp_dir("keep");
        let t0 = 1_800_000_000_000;
        let mut store = BusStore::open(&dir, &bus(1), t0).unwrap();
        let first = store
            .publish(&entry("o-1", None, "{}"), false, "us-east-1", "123", t0)
            .unwrap();
        let second = store
            .publish(&entry("o-1", None, "{}"), false, "us-east-1", "123", t0 + 1)
            .unwrap();
        assert_eq!(first.code, SuccessCode::Published);
        // No key, no de-duplication.
        assert_eq!(second.code, SuccessCode::Published);
        let (a, b) = (&first.event, &second.event);
        assert_ne!(a.event_id, b.event_id);
        assert_ne!(a.data["id"], a.event_id.as_str());
        assert_eq!(a.sequence_number, "10000000000000000001");
        assert_eq!(b.sequence_number, "10000000000000000002");
        assert_eq!(a.system_metadata["EventGroupId"], "o-1");
        assert_eq!(
            a.system_metadata["ContentType"],
            "application/eventbridge+json"
        );
        assert_eq!(a.system_metadata["aws:Source"], "shop");
        assert!(!a.system_metadata.contains_key("DeduplicationId"));

        // Reopened: still there; a day and a bit later: gone.
        let again = BusStore::open(&dir, &bus(1), t0 + 1000).unwrap();
        assert_eq!(again.events().len(), 2);
        let later = BusStore::open(&dir, &bus(1), t0 + 86_400_000 + 2).unwrap();
        assert!(later.events().is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn duplicates_within_five_minutes_are_deduplicated_per_group() {
        let dir = temp_dir("dedup");
        let t0 = 1_800_000_000_000;
        let mut store = BusStore::open(&dir, &bus(1), t0).unwrap();
        let put = |store: &mut BusStore, e: Entry, content: bool, at: i64| {
            store.publish(&e, content, "r", "a", at).unwrap()
        };
        let first = put(&mut store, entry("g", Some("d"), "{}"), false, t0);
        let same = put(
            &mut store,
            entry("g", Some("d"), r#"{"x":1}"#),
            false,
            t0 + 299_999,
        );
        assert_eq!(same.code, SuccessCode::Deduplicated);
        assert_eq!(same.event.event_id, first.event.event_id);
        // Another group: another event.
        let other = put(&mut store, entry("h", Some("d"), "{}"), false, t0 + 1);
        assert_eq!(other.code, SuccessCode::Published);
        // After the window: a new event.
        let late = put(&mut store, entry("g", Some("d"), "{}"), false, t0 + 300_000);
        assert_eq!(late.code, SuccessCode::Published);
        // Content-based: the same content only.
        let c1 = put(&mut store, entry("g", None, r#"{"a":1}"#), true, t0 + 10);
        let c2 = put(&mut store, entry("g", None, r#"{"a":1}"#), true, t0 + 20);
        let c3 = put(&mut store, entry("g", None, r#"{"a":2}"#), true, t0 + 30);
        assert_eq!(c1.code, SuccessCode::Published);
        assert_eq!(c2.code, SuccessCode::Deduplicated);
        assert_eq!(c3.code, SuccessCode::Published);
        assert_eq!(store.events().len(), 5);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
