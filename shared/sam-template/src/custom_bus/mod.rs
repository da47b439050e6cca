//! The Custom Event Bus (API `eventbridgev2`, CloudFormation `AWS::EventsV2::*`): its buses and
//! subscribers, as typed values with AWS's defaults applied.
//!
//! Defaults and ranges follow the CloudFormation resource schema (`AWS::EventsV2::Subscriber`)
//! and the EventBridge user guide on docs.aws.amazon.com: `RetryPolicy` 5 attempts / 300 s,
//! `MaxBatchSize` 10 for Lambda targets, `MaxBatchWindowInSeconds` 0, `Transformer` `RAW`,
//! `StartingPosition` `LATEST`, `State` `RUNNING`. Where the documentation names no default
//! (`Type`, the Lambda `InvocationType`, the bus's retention), the field stays an `Option`
//! and the reader ([`Subscriber::ordering`] and friends) documents what it assumes.
//!
//! A value outside the schema's enums or ranges, an unknown property, two filters on one
//! scope or a filter language other than `EVENT_BRIDGE_PATTERN` is a
//! [`TemplateError::Invalid`](crate::TemplateError::Invalid), never silently ignored.

mod parse;
#[cfg(test)]
mod tests;

pub(crate) use parse::{custom_buses, subscribers};

use crate::{Destination, Expr};

/// An `AWS::EventsV2::EventBus`.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomBus {
    /// The logical id.
    pub logical_id: String,
    /// `Name` (required by CloudFormation).
    pub name: Expr,
    /// `StorageConfiguration.RetentionPeriodInDays` (1-365), when set.
    pub retention_days: Option<u32>,
}

/// An `AWS::EventsV2::Subscriber`: filters, transformer, batching, retries and the target.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscriber {
    /// The logical id.
    pub logical_id: String,
    /// `Name` (required).
    pub name: Expr,
    /// The bus (`EventBusArn`): a [`CustomBus`]'s logical id when it points into the template.
    pub bus: Option<String>,
    /// `EventBusArn` as written.
    pub bus_arn: Expr,
    /// `Type`; `None` when not set (see [`Subscriber::ordering`]).
    pub ordering_type: Option<Ordering>,
    /// `FilterConfiguration.Filters`: at most one per scope, AND-combined; empty = every event.
    pub filters: Vec<Filter>,
    /// `Transformer`.
    pub transformer: Transformer,
    /// `BatchConfiguration.MaxBatchSize` when set (see [`Subscriber::max_batch_size`]).
    pub max_batch_size: Option<u32>,
    /// `BatchConfiguration.MaxBatchWindowInSeconds` (default 0).
    pub max_batch_window_seconds: u32,
    /// `RetryPolicy.MaxRetryAttempts` (0-185, default 5).
    pub max_retry_attempts: u32,
    /// `RetryPolicy.MaxEventAgeInSeconds` (60-86400, default 300).
    pub max_event_age_seconds: u32,
    /// `OnFailureConfiguration.Arn`: the SQS queue for failure records.
    pub on_failure: Option<Destination>,
    /// `StartingPosition` with its `PointInTimeConfiguration`.
    pub starting_position: StartingPosition,
    /// `State` (default `RUNNING`).
    pub state: SubscriberState,
    /// `InvokeConfiguration.TargetArn`.
    pub target: Destination,
    /// `InvokeConfiguration.RoleArn`.
    pub role: Expr,
    /// `InvokeConfiguration.LambdaParameters.InvocationType`, when set.
    pub invocation_type: Option<InvocationType>,
}

impl Subscriber {
    /// The ordering mode: `Type`, or [`Ordering::Unordered`] when not set (the API treats
    /// ordering as opt-in; an unordered subscriber promises nothing about order, so assuming it
    /// never promises an order AWS might not keep).
    pub fn ordering(&self) -> Ordering {
        self.ordering_type.unwrap_or(Ordering::Unordered)
    }

    /// `MaxBatchSize`, or the documented default: 10 for Lambda targets (and for the other
    /// targets localbus delivers to, SQS included).
    pub fn max_batch_size(&self) -> u32 {
        self.max_batch_size.unwrap_or(10)
    }

    /// The filter on `scope`, if any.
    pub fn filter(&self, scope: FilterScope) -> Option<&Filter> {
        self.filters.iter().find(|f| f.scope == scope)
    }
}

/// A subscriber's `Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    /// `UNORDERED`: no ordering guarantee.
    Unordered,
    /// `FIFO`: in order within an event group (`SystemMetadata.EventGroupId`).
    Fifo,
}

/// One entry of `FilterConfiguration.Filters`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// `Scope`: which part of the event the pattern sees.
    pub scope: FilterScope,
    /// `Pattern`: an EventBridge event pattern, as JSON text.
    pub pattern: String,
}

/// A filter's `Scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FilterScope {
    /// `DATA`: the published data (for PutEvents, the Classic envelope).
    Data,
    /// `METADATA`: the publisher's metadata (PutRawEvents only).
    Metadata,
    /// `SYSTEM_METADATA`: `aws:EventId`, `EventGroupId`, `aws:Source`, ...
    SystemMetadata,
}

impl FilterScope {
    /// The scope as CloudFormation spells it.
    ///
    /// ```
    /// assert_eq!(sam_template::FilterScope::SystemMetadata.as_str(), "SYSTEM_METADATA");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            FilterScope::Data => "DATA",
            FilterScope::Metadata => "METADATA",
            FilterScope::SystemMetadata => "SYSTEM_METADATA",
        }
    }
}

/// A subscriber's `Transformer`.
#[derive(Debug, Clone, PartialEq)]
pub enum Transformer {
    /// `RAW` (the default): the published data alone.
    Raw,
    /// `WITH_METADATA`: `{Data, Metadata, SystemMetadata}`.
    WithMetadata,
    /// `JSONATA`: the result of `JsonataConfiguration.Expression` over `$events`.
    Jsonata {
        /// The expression, `{% … %}` included.
        expression: String,
    },
}

impl Transformer {
    /// The type as CloudFormation spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Transformer::Raw => "RAW",
            Transformer::WithMetadata => "WITH_METADATA",
            Transformer::Jsonata { .. } => "JSONATA",
        }
    }
}

/// A subscriber's `StartingPosition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// `LATEST` (the default): events published from now on.
    Latest,
    /// `POINT_IN_TIME` with its `PointInTimeConfiguration`: the retained events from a point on,
    /// delivered as `REPLAY`.
    PointInTime {
        /// `StartingPoint` (epoch seconds) for `PointType: TIMESTAMP`; `None` for `HORIZON`
        /// (the earliest retained event).
        from: Option<i64>,
        /// `EndPoint` (epoch seconds), when set.
        until: Option<i64>,
    },
}

/// A subscriber's `State`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriberState {
    /// `RUNNING` (the default): events are delivered.
    Running,
    /// `STOPPED`: delivery is paused (events stay on the bus).
    Stopped,
}

/// `LambdaParameters.InvocationType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    /// `EVENT`: asynchronous; a successful Invoke counts as delivered.
    Event,
    /// `REQUEST_RESPONSE`: synchronous; a function error is a failed delivery (what a FIFO
    /// subscriber needs to keep order through the function).
    RequestResponse,
}
