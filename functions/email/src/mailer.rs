//! Sending a composed [`Email`] through Amazon SES v2 (`SendEmail`, simple content).

use crate::message::Email;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{BuildError, DisplayErrorContext};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use eventbridge_lambda::redact::mask_email;

/// Why SES did not accept a message. Messages never contain the full recipient address.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The request could not be built.
    #[error("SES request could not be built: {0}")]
    Build(#[from] BuildError),
    /// SES refused the message or could not be reached.
    #[error("SES SendEmail failed: {0}")]
    Call(String),
}

/// Sends `email` and returns the SES message id.
///
/// # Errors
/// [`SendError`], with any occurrence of the recipient's address masked.
pub async fn send(client: &Client, email: &Email) -> Result<String, SendError> {
    let text = |data: &str| Content::builder().data(data).charset("UTF-8").build();
    let message = Message::builder()
        .subject(text(&email.subject)?)
        .body(Body::builder().text(text(&email.body)?).build())
        .build();
    let output = client
        .send_email()
        .from_email_address(&email.from)
        .destination(Destination::builder().to_addresses(&email.to).build())
        .content(EmailContent::builder().simple(message).build())
        .send()
        .await
        .map_err(|error| {
            SendError::Call(redact(&DisplayErrorContext(error).to_string(), &email.to))
        })?;
    Ok(output.message_id.unwrap_or_default())
}

/// `text` with every occurrence of `address` replaced by its masked form.
pub fn redact(text: &str, address: &str) -> String {
    if address.is_empty() {
        return text.to_owned();
    }
    text.replace(address, &mask_email(address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipient_is_masked_in_error_text() {
        assert_eq!(
            redact(
                "Address customer@example.com is blocked (customer@example.com)",
                "customer@example.com"
            ),
            "Address c***@example.com is blocked (c***@example.com)"
        );
        assert_eq!(redact("no address here", ""), "no address here");
    }
}
