//! What became of every entry of a publish call.

use super::FailureClass;

/// What became of one input entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by EventBridge.
    Delivered {
        /// The id EventBridge gave the event (the envelope `id` consumers see).
        event_id: String,
        /// Sends it took.
        attempts: u32,
    },
    /// Not delivered, or not known to be.
    Failed {
        /// What the failure means (match on this, not on `code`).
        class: FailureClass,
        /// The per-entry `ErrorCode`, the request's error code, or one of the publisher's own
        /// codes ([`MISSING_RESULT`](super::MISSING_RESULT), [`NO_ANSWER`](super::NO_ANSWER),
        /// [`DEADLINE_REACHED`](super::DEADLINE_REACHED), [`NOT_SENT`](super::NOT_SENT)).
        code: String,
        /// The error message.
        message: String,
        /// Sends it took (0: never sent).
        attempts: u32,
    },
}

impl Delivery {
    /// The failure's class; `None` when delivered.
    ///
    /// ```
    /// use eventbridge_lambda::publish::{Delivery, FailureClass};
    /// let delivered = Delivery::Delivered { event_id: "e-1".into(), attempts: 1 };
    /// assert_eq!(delivered.failure_class(), None);
    /// ```
    pub fn failure_class(&self) -> Option<FailureClass> {
        match self {
            Self::Delivered { .. } => None,
            Self::Failed { class, .. } => Some(*class),
        }
    }
}

/// The outcome of a publish call, one [`Delivery`] per input entry, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// One outcome per input entry, in input order.
    pub deliveries: Vec<Delivery>,
    /// API calls made (HTTP requests: the SDK's own retries are off for the publisher's calls).
    pub calls: usize,
}

impl Report {
    /// True when every entry was delivered.
    pub fn all_delivered(&self) -> bool {
        self.deliveries
            .iter()
            .all(|delivery| matches!(delivery, Delivery::Delivered { .. }))
    }

    /// The failed entries with their input positions.
    pub fn failures(&self) -> impl Iterator<Item = (usize, &Delivery)> {
        self.deliveries
            .iter()
            .enumerate()
            .filter(|(_, delivery)| matches!(delivery, Delivery::Failed { .. }))
    }
}
