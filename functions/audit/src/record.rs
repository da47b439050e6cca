//! The normalized audit record: one shape for every accepted event, with a severity.

use crate::event::AuditEvent;
use eventbridge_lambda::details::cleanrooms::{
    Collaboration, Membership, MembershipStatus, ProtectedJob, ProtectedQuery, RunError,
};
use eventbridge_lambda::{CleanRoomsEvent, Event, InstanceState};
use serde::Serialize;

/// How urgently a human should look at an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Routine (a query started, an instance is running).
    Low,
    /// Worth a look (an instance stopping, a run cancelled, a membership deleted, an unmodelled event type).
    Medium,
    /// Alert: a failure, a timeout, a lost collaboration, an instance going away for good.
    High,
}

impl Severity {
    /// The lowercase name (`low`, `medium`, `high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// One audit record (the item written to `AUDIT_TABLE`, key `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// The event id (or, for an event without one, a key derived from its content).
    pub id: String,
    /// The event's `source`.
    pub source: String,
    /// The event's `detail-type`.
    pub detail_type: String,
    /// The resource concerned: instance id, protected query / job id, membership or collaboration id.
    pub resource: String,
    /// The new status or state, when the event carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The account the event came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The Region the event came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The event time (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// How urgent the event is.
    pub severity: Severity,
    /// One human-readable line.
    pub summary: String,
}

/// What the detail alone says: resource, status, severity, summary.
struct Facts {
    resource: Option<String>,
    status: Option<String>,
    severity: Severity,
    summary: String,
}

/// Normalizes `event` into an audit record.
pub fn normalize(event: &Event<AuditEvent>) -> AuditRecord {
    let facts = match &event.detail {
        AuditEvent::Instance(change) => instance(&change.instance_id, &change.state),
        AuditEvent::CleanRooms(clean_rooms) => self::clean_rooms(clean_rooms),
    };
    let resource = facts
        .resource
        .or_else(|| event.resources.first().cloned())
        .unwrap_or_else(|| "unknown".to_owned());
    let time = event
        .time
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
    let id = event.id.clone().unwrap_or_else(|| {
        format!(
            "no-id:{}:{}:{}:{}",
            event.source,
            event.detail_type,
            resource,
            time.as_deref().unwrap_or("-")
        )
    });
    AuditRecord {
        id,
        source: event.source.clone(),
        detail_type: event.detail_type.clone(),
        resource,
        status: facts.status,
        account: event.account.clone(),
        region: event.region.clone(),
        time,
        severity: facts.severity,
        summary: facts.summary,
    }
}

fn instance(instance_id: &str, state: &InstanceState) -> Facts {
    let severity = match state {
        InstanceState::ShuttingDown | InstanceState::Terminated => Severity::High,
        InstanceState::Stopping | InstanceState::Stopped | InstanceState::Unknown(_) => {
            Severity::Medium
        }
        InstanceState::Pending | InstanceState::Running => Severity::Low,
    };
    Facts {
        resource: Some(instance_id.to_owned()),
        status: Some(state.as_str().to_owned()),
        severity,
        summary: format!("EC2 instance {instance_id} is {state}"),
    }
}

fn clean_rooms(event: &CleanRoomsEvent) -> Facts {
    use CleanRoomsEvent as E;
    match event {
        E::CollaborationCreated(c) | E::CollaborationUpdated(c) => collaboration(event, c),
        E::MembershipCreated(m) | E::MembershipUpdated(m) | E::MembershipDeleted(m) => {
            membership(event, m)
        }
        E::ProtectedQuerySubmitted(q)
        | E::ProtectedQueryStarted(q)
        | E::ProtectedQuerySucceeded(q)
        | E::ProtectedQueryFailed(q)
        | E::ProtectedQueryTimedOut(q)
        | E::ProtectedQueryCancelling(q)
        | E::ProtectedQueryCancelled(q) => query(event, q),
        E::ProtectedJobSubmitted(j)
        | E::ProtectedJobStarted(j)
        | E::ProtectedJobSucceeded(j)
        | E::ProtectedJobFailed(j)
        | E::ProtectedJobCancelling(j)
        | E::ProtectedJobCancelled(j) => job(event, j),
        E::Unknown {
            detail_type,
            detail,
        } => Facts {
            resource: detail
                .get("id")
                .and_then(|id| id.as_str())
                .map(str::to_owned),
            status: detail
                .get("status")
                .and_then(|status| status.as_str())
                .map(str::to_owned),
            severity: Severity::Medium,
            summary: format!("Clean Rooms event {detail_type:?} (not modelled)"),
        },
    }
}

fn collaboration(event: &CleanRoomsEvent, collaboration: &Collaboration) -> Facts {
    let id = collaboration.id.clone();
    Facts {
        summary: format!(
            "Clean Rooms {} for collaboration {}",
            event.detail_type().to_lowercase(),
            id.as_deref().unwrap_or("(no id)")
        ),
        resource: id,
        status: collaboration
            .member_status
            .as_ref()
            .map(|status| status.as_str().to_owned()),
        severity: Severity::Low,
    }
}

fn membership(event: &CleanRoomsEvent, membership: &Membership) -> Facts {
    let lost = matches!(
        membership.status,
        Some(MembershipStatus::CollaborationDeleted | MembershipStatus::Removed)
    );
    let severity = match event {
        _ if lost => Severity::High,
        CleanRoomsEvent::MembershipDeleted(_) => Severity::Medium,
        _ => Severity::Low,
    };
    let id = membership
        .id
        .clone()
        .or_else(|| membership.collaboration_id.clone());
    let status = membership.status.as_ref().map(|s| s.as_str().to_owned());
    let mut summary = format!(
        "Clean Rooms {} for membership {}",
        event.detail_type().to_lowercase(),
        id.as_deref().unwrap_or("(no id)")
    );
    if let Some(status) = &status {
        summary.push_str(&format!(": status {status}"));
    }
    if let Some(name) = &membership.collaboration_name {
        summary.push_str(&format!(" (collaboration {name:?})"));
    }
    Facts {
        resource: id,
        status,
        severity,
        summary,
    }
}

fn run_severity(event: &CleanRoomsEvent) -> Severity {
    use CleanRoomsEvent as E;
    match event {
        E::ProtectedQueryFailed(_) | E::ProtectedQueryTimedOut(_) | E::ProtectedJobFailed(_) => {
            Severity::High
        }
        E::ProtectedQueryCancelled(_) | E::ProtectedJobCancelled(_) => Severity::Medium,
        _ => Severity::Low,
    }
}

fn run_summary(
    event: &CleanRoomsEvent,
    what: &str,
    id: Option<&str>,
    error: Option<&RunError>,
) -> String {
    let mut summary = format!(
        "Clean Rooms {what} {}: {}",
        id.unwrap_or("(no id)"),
        event.detail_type().to_lowercase()
    );
    if let Some(error) = error {
        let code = error.code.as_deref().unwrap_or("error");
        match &error.message {
            Some(message) => summary.push_str(&format!(" ({code}: {message})")),
            None => summary.push_str(&format!(" ({code})")),
        }
    }
    summary
}

fn query(event: &CleanRoomsEvent, query: &ProtectedQuery) -> Facts {
    Facts {
        resource: query.id.clone().or_else(|| query.membership_id.clone()),
        status: query.status.as_ref().map(|s| s.as_str().to_owned()),
        severity: run_severity(event),
        summary: run_summary(
            event,
            "protected query",
            query.id.as_deref(),
            query.error.as_ref(),
        ),
    }
}

fn job(event: &CleanRoomsEvent, job: &ProtectedJob) -> Facts {
    Facts {
        resource: job.id.clone().or_else(|| job.membership_id.clone()),
        status: job.status.as_ref().map(|s| s.as_str().to_owned()),
        severity: run_severity(event),
        summary: run_summary(
            event,
            "protected job",
            job.id.as_deref(),
            job.error.as_ref(),
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use eventbridge_lambda::decode::decode_event;

    fn sample(name: &str) -> AuditRecord {
        let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
        normalize(&decode_event(&std::fs::read(path).unwrap()).unwrap())
    }

    #[test]
    fn a_failed_query_names_the_query_and_the_error() {
        let record = sample("cleanrooms-protected-query-failed.json");
        assert_eq!(record.id, "c3dd75f6-8085-48e6-ac92-5f09a227f039");
        assert_eq!(record.source, "aws.cleanrooms");
        assert_eq!(record.detail_type, "Protected Query Failed");
        assert_eq!(record.resource, "0a1b2c3d-1111-4222-8333-444455556666");
        assert_eq!(record.status.as_deref(), Some("FAILED"));
        assert_eq!(record.account.as_deref(), Some("123456789012"));
        assert_eq!(record.region.as_deref(), Some("us-east-1"));
        assert_eq!(record.time.as_deref(), Some("2026-11-20T10:00:00Z"));
        assert_eq!(record.severity, Severity::High);
        assert_eq!(
            record.summary,
            "Clean Rooms protected query 0a1b2c3d-1111-4222-8333-444455556666: protected query failed \
             (QUERY_EXECUTION_ERROR: Column 'hashed_email' not found)"
        );
    }

    #[test]
    fn severities_follow_the_alerting_rule() {
        let high = [
            "cleanrooms-protected-query-failed.json",
            "cleanrooms-protected-query-timed-out.json",
            "cleanrooms-protected-job-failed.json",
            "cleanrooms-membership-updated-collaboration-deleted.json",
            "cleanrooms-membership-updated-removed.json",
            "cleanrooms-membership-deleted.json",
            "ec2-shutting-down.json",
            "ec2-terminated.json",
        ];
        for name in high {
            assert_eq!(sample(name).severity, Severity::High, "{name}");
        }
        for name in [
            "ec2-stopped.json",
            "ec2-stopping.json",
            "cleanrooms-protected-query-cancelled.json",
        ] {
            assert_eq!(sample(name).severity, Severity::Medium, "{name}");
        }
        for name in [
            "ec2-running.json",
            "cleanrooms-protected-query-succeeded.json",
            "cleanrooms-membership-updated-active.json",
            "cleanrooms-collaboration-created.json",
        ] {
            assert_eq!(sample(name).severity, Severity::Low, "{name}");
        }
    }

    #[test]
    fn an_instance_change_names_the_instance_and_state() {
        let record = sample("ec2-stopped.json");
        assert_eq!(record.resource, "i-0123456789abcdef0");
        assert_eq!(record.status.as_deref(), Some("stopped"));
        assert_eq!(
            record.summary,
            "EC2 instance i-0123456789abcdef0 is stopped"
        );
    }

    #[test]
    fn an_unmodelled_clean_rooms_type_and_a_missing_id_are_handled() {
        let payload = serde_json::json!({
            "version": "0", "detail-type": "Analysis Template Created", "source": "aws.cleanrooms",
            "time": "2026-11-20T10:00:00Z", "resources": ["arn:aws:cleanrooms:us-east-1:1:x"],
            "detail": {"name": "t"}
        });
        let record = normalize(&decode_event(payload.to_string().as_bytes()).unwrap());
        assert_eq!(record.severity, Severity::Medium);
        assert_eq!(record.resource, "arn:aws:cleanrooms:us-east-1:1:x");
        assert_eq!(
            record.id,
            "no-id:aws.cleanrooms:Analysis Template Created:arn:aws:cleanrooms:us-east-1:1:x:2026-11-20T10:00:00Z"
        );
        assert_eq!(record.account, None);
    }
}
