//! The confirmation message.

use eventbridge_lambda::OrderCreated;
use std::fmt::Write;

/// A composed e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Sender address.
    pub from: String,
    /// Recipient address (full: only for the mail service).
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Composes the confirmation for `order`, sent from `sender`.
pub fn compose(order: &OrderCreated, sender: &str) -> Email {
    let mut body = format!("Thank you for your order {}.\n\nItems:\n", order.order_id);
    for item in &order.items {
        // Writing to a String cannot fail.
        let _ = writeln!(body, "  {} x {}", item.quantity, item.sku);
    }
    if let (Some(total), Some(currency)) = (order.total, order.currency.as_deref()) {
        let _ = writeln!(body, "\nTotal: {total:.2} {currency}");
    }
    Email {
        from: sender.to_owned(),
        to: order.customer_email.as_str().to_owned(),
        subject: format!("Your order {} is confirmed", order.order_id),
        body,
    }
}

/// A minimal deliverability check: `local@domain.tld` with no spaces.
pub fn is_deliverable(address: &str) -> bool {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !address.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn body_lists_every_item_and_the_total() {
        let order: OrderCreated = serde_json::from_value(serde_json::json!({
            "order_id": "o-1", "customer_email": "a@b.example",
            "items": [{"sku": "ABC", "quantity": 2}, {"sku": "XYZ", "quantity": 1}],
            "timestamp": "2023-10-27T10:00:00Z", "total": 42.5, "currency": "EUR"
        }))
        .unwrap();
        let email = compose(&order, "orders@shop.example");
        assert_eq!(email.to, "a@b.example");
        assert_eq!(
            email.body,
            "Thank you for your order o-1.\n\nItems:\n  2 x ABC\n  1 x XYZ\n\nTotal: 42.50 EUR\n"
        );
    }

    #[test]
    fn deliverability() {
        assert!(is_deliverable("customer@example.com"));
        assert!(!is_deliverable("customer@localhost"));
        assert!(!is_deliverable("no at sign"));
        assert!(!is_deliverable("a b@example.com"));
    }
}
