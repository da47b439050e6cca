//! Partner event sources (the SaaS partner side of EventBridge).
//!
//! A partner creates one source per customer account and Region, named
//! `aws.partner/<partner_name>/<event_generator_name>`, as soon as the customer registers. The
//! customer associates a partner event bus with it (state `PENDING` → `ACTIVE`); a source pending
//! for more than 7 days is deleted by AWS.

use super::PublishError;
use aws_sdk_eventbridge::Client;
use std::fmt;

/// A partner event source name checked against the API model's rules: prefix `aws.partner`, at
/// least two more `/`-separated segments of `[.-_A-Za-z0-9]`, at most 256 characters.
///
/// ```
/// use eventbridge_lambda::publish::partner::SourceName;
/// let name = SourceName::parse("aws.partner/shop.example.com/store-42/orders").unwrap();
/// assert_eq!(name.partner(), "shop.example.com");
/// assert_eq!(name.event_generator(), "store-42/orders");
/// assert!(SourceName::parse("aws.partner/only-partner").is_err());
/// assert!(SourceName::parse("aws.partner/shop/store 42").is_err());
/// assert!(SourceName::parse("aws.partner/shop/störe").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourceName(String);

/// Longest source name the API accepts.
pub const MAX_SOURCE_NAME_LEN: usize = 256;

impl SourceName {
    /// Checks `name`.
    ///
    /// # Errors
    /// [`PublishError::InvalidSourceName`] naming the broken rule.
    pub fn parse(name: impl Into<String>) -> Result<Self, PublishError> {
        let name = name.into();
        let invalid = |reason| PublishError::InvalidSourceName {
            name: name.clone(),
            reason,
        };
        if name.is_empty() || name.len() > MAX_SOURCE_NAME_LEN {
            return Err(invalid("must be 1 to 256 characters"));
        }
        let Some(rest) = name.strip_prefix("aws.partner/") else {
            return Err(invalid("must start with `aws.partner/`"));
        };
        let segments: Vec<&str> = rest.split('/').collect();
        if segments.len() < 2 {
            return Err(invalid(
                "needs `aws.partner/<partner_name>/<event_generator_name>`",
            ));
        }
        if segments.iter().any(|segment| segment.is_empty()) {
            return Err(invalid("has an empty `/`-separated segment"));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
        if !segments.iter().all(|segment| segment.chars().all(allowed)) {
            return Err(invalid(
                "segments may only contain ASCII letters, digits, `.`, `-` and `_`",
            ));
        }
        Ok(Self(name))
    }

    /// Builds `aws.partner/<partner>/<event_generator>` and checks it.
    ///
    /// ```
    /// use eventbridge_lambda::publish::partner::SourceName;
    /// let name = SourceName::new("shop.example.com", "123456789012/store-7").unwrap();
    /// assert_eq!(name.as_str(), "aws.partner/shop.example.com/123456789012/store-7");
    /// ```
    ///
    /// # Errors
    /// [`PublishError::InvalidSourceName`].
    pub fn new(partner: &str, event_generator: &str) -> Result<Self, PublishError> {
        Self::parse(format!("aws.partner/{partner}/{event_generator}"))
    }

    /// The full name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The partner name (first segment after `aws.partner/`).
    pub fn partner(&self) -> &str {
        self.0["aws.partner/".len()..]
            .split('/')
            .next()
            .unwrap_or_default()
    }

    /// The event generator name (everything after the partner name).
    pub fn event_generator(&self) -> &str {
        let rest = &self.0["aws.partner/".len()..];
        rest.split_once('/')
            .map(|(_, generator)| generator)
            .unwrap_or_default()
    }
}

impl fmt::Display for SourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a customer account id: exactly 12 digits.
///
/// ```
/// assert!(eventbridge_lambda::publish::partner::is_account_id("123456789012"));
/// assert!(!eventbridge_lambda::publish::partner::is_account_id("12345"));
/// ```
pub fn is_account_id(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// Creating, describing, listing and deleting partner event sources through the SDK.
#[derive(Clone, Debug)]
pub struct Sources {
    client: Client,
}

impl Sources {
    /// Source management with `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    fn failed(
        operation: &'static str,
        name: &str,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> PublishError {
        PublishError::PartnerSource {
            operation,
            name: name.to_owned(),
            source: Box::new(error),
        }
    }

    /// Creates the source for a customer account; returns its ARN.
    ///
    /// # Errors
    /// [`PublishError::InvalidSourceName`] for a bad account id, or the API's error.
    pub async fn create(&self, name: &SourceName, account: &str) -> Result<String, PublishError> {
        if !is_account_id(account) {
            return Err(PublishError::InvalidSourceName {
                name: name.to_string(),
                reason: "the customer account must be exactly 12 digits",
            });
        }
        let output = self
            .client
            .create_partner_event_source()
            .name(name.as_str())
            .account(account)
            .send()
            .await
            .map_err(|error| Self::failed("CreatePartnerEventSource", name.as_str(), error))?;
        Ok(output.event_source_arn().unwrap_or_default().to_owned())
    }

    /// Describes a source; `None` when it does not exist.
    ///
    /// # Errors
    /// The API's error other than "not found".
    pub async fn describe(&self, name: &SourceName) -> Result<Option<String>, PublishError> {
        match self
            .client
            .describe_partner_event_source()
            .name(name.as_str())
            .send()
            .await
        {
            Ok(output) => Ok(Some(output.arn().unwrap_or_default().to_owned())),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(error) => Err(Self::failed(
                "DescribePartnerEventSource",
                name.as_str(),
                error,
            )),
        }
    }

    /// Lists the names of the sources starting with `prefix` (all pages).
    ///
    /// # Errors
    /// The API's error.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, PublishError> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let output = self
                .client
                .list_partner_event_sources()
                .name_prefix(prefix)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|error| Self::failed("ListPartnerEventSources", prefix, error))?;
            names.extend(
                output
                    .partner_event_sources()
                    .iter()
                    .filter_map(|source| source.name().map(str::to_owned)),
            );
            match output.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => return Ok(names),
            }
        }
    }

    /// Deletes the source of a customer account.
    ///
    /// # Errors
    /// The API's error.
    pub async fn delete(&self, name: &SourceName, account: &str) -> Result<(), PublishError> {
        self.client
            .delete_partner_event_source()
            .name(name.as_str())
            .account(account)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| Self::failed("DeletePartnerEventSource", name.as_str(), error))
    }
}
