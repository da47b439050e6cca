//! Personal data that must not reach the logs.
//!
//! [`EmailAddress`] holds a customer address. Its `Debug` and `Display` print a masked form
//! (`c***@example.com`), so `tracing::info!(?event)` never writes the full address; the real
//! value is only available through [`EmailAddress::as_str`], for the code that sends mail.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An e-mail address whose `Debug`/`Display` output is masked.
///
/// ```
/// use eventbridge_lambda::EmailAddress;
/// let email = EmailAddress::new("customer@example.com");
/// assert_eq!(email.to_string(), "c***@example.com");
/// assert_eq!(format!("{email:?}"), "EmailAddress(c***@example.com)");
/// assert_eq!(email.as_str(), "customer@example.com");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Wraps an address. No validation is done here: the mail service is the authority.
    pub fn new(address: impl Into<String>) -> Self {
        Self(address.into())
    }

    /// The full address. Use it to send mail, never to log.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The masked form used in logs: the first character of the local part, `***`, and the domain.
    ///
    /// ```
    /// use eventbridge_lambda::EmailAddress;
    /// assert_eq!(EmailAddress::new("a@b.example").masked(), "a***@b.example");
    /// assert_eq!(EmailAddress::new("not-an-address").masked(), "***");
    /// ```
    pub fn masked(&self) -> String {
        mask_email(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.masked())
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Masks an e-mail address for logging: `customer@example.com` → `c***@example.com`.
///
/// Anything that does not look like `local@domain` is masked completely.
///
/// ```
/// assert_eq!(eventbridge_lambda::redact::mask_email("jo@shop.example"), "j***@shop.example");
/// assert_eq!(eventbridge_lambda::redact::mask_email("@nolocal"), "***");
/// ```
pub fn mask_email(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            let first = local.chars().next().map(String::from).unwrap_or_default();
            format!("{first}***@{domain}")
        }
        _ => "***".to_owned(),
    }
}
