//! Pure order logic: the stock lines of an order and what a cancelled transaction means.

use eventbridge_lambda::OrderItem;
use std::collections::BTreeMap;

/// DynamoDB allows at most 100 actions in one `TransactWriteItems`; one is the reservation record.
pub const MAX_SKUS: usize = 99;

/// The cancellation code DynamoDB gives an action whose condition failed.
const CONDITION_FAILED: &str = "ConditionalCheckFailed";
/// The cancellation code of an action that collided with another transaction.
const CONFLICT: &str = "TransactionConflict";

/// One stock decrement: a SKU and the total quantity the order takes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    /// The SKU (the inventory table's key).
    pub sku: String,
    /// Units to reserve (> 0).
    pub quantity: u64,
}

/// The stock lines of an order: quantities summed per SKU (a transaction may touch an item only
/// once), lines of zero units dropped, in SKU order.
///
/// # Errors
/// [`TooManySkus`] when the order names more distinct SKUs than one transaction can hold.
pub fn stock_lines(items: &[OrderItem]) -> Result<Vec<StockLine>, TooManySkus> {
    let mut per_sku: BTreeMap<&str, u64> = BTreeMap::new();
    for item in items.iter().filter(|item| item.quantity > 0) {
        *per_sku.entry(item.sku.as_str()).or_default() += u64::from(item.quantity);
    }
    if per_sku.len() > MAX_SKUS {
        return Err(TooManySkus(per_sku.len()));
    }
    Ok(per_sku
        .into_iter()
        .map(|(sku, quantity)| StockLine {
            sku: sku.to_owned(),
            quantity,
        })
        .collect())
}

/// An order naming more distinct SKUs than one transaction can reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} distinct SKUs; one transaction reserves at most {MAX_SKUS}")]
pub struct TooManySkus(pub usize);

/// What a cancelled reservation transaction means, from its cancellation reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancellation {
    /// The reservation record's condition failed: this order was recorded before.
    AlreadyRecorded,
    /// These SKUs do not have enough stock (their `available >= :q` condition failed).
    OutOfStock(Vec<String>),
    /// Another transaction touched the same items at the same time; retry.
    Conflict,
    /// Any other reason (the codes, for the error message).
    Other(String),
}

/// Classifies a cancelled transaction. `codes` are the cancellation reason codes in action order:
/// one per line of `lines`, then the reservation record.
pub fn classify(codes: &[Option<&str>], lines: &[StockLine]) -> Cancellation {
    if codes.get(lines.len()).copied().flatten() == Some(CONDITION_FAILED) {
        return Cancellation::AlreadyRecorded;
    }
    let short: Vec<String> = lines
        .iter()
        .zip(codes)
        .filter(|(_, code)| **code == Some(CONDITION_FAILED))
        .map(|(line, _)| line.sku.clone())
        .collect();
    if !short.is_empty() {
        return Cancellation::OutOfStock(short);
    }
    if codes.contains(&Some(CONFLICT)) {
        return Cancellation::Conflict;
    }
    let listed: Vec<&str> = codes.iter().map(|code| code.unwrap_or("None")).collect();
    Cancellation::Other(listed.join(", "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn item(sku: &str, quantity: u32) -> OrderItem {
        serde_json::from_value(serde_json::json!({"sku": sku, "quantity": quantity})).unwrap()
    }

    fn line(sku: &str, quantity: u64) -> StockLine {
        StockLine {
            sku: sku.into(),
            quantity,
        }
    }

    #[test]
    fn lines_sum_repeated_skus_and_drop_zero_quantities() {
        let lines = stock_lines(&[item("B", 2), item("A", 1), item("B", 3), item("C", 0)]).unwrap();
        assert_eq!(lines, vec![line("A", 1), line("B", 5)]);
    }

    #[test]
    fn more_skus_than_a_transaction_holds_is_an_error() {
        let items: Vec<OrderItem> = (0..=MAX_SKUS).map(|n| item(&format!("S{n}"), 1)).collect();
        assert_eq!(stock_lines(&items), Err(TooManySkus(MAX_SKUS + 1)));
        assert_eq!(stock_lines(&items[..MAX_SKUS]).unwrap().len(), MAX_SKUS);
    }

    #[test]
    fn cancellation_reasons_are_classified() {
        let lines = [line("A", 1), line("B", 1)];
        let failed = Some(CONDITION_FAILED);
        assert_eq!(
            classify(&[None, None, failed], &lines),
            Cancellation::AlreadyRecorded
        );
        assert_eq!(
            classify(&[failed, failed, failed], &lines),
            Cancellation::AlreadyRecorded
        );
        assert_eq!(
            classify(&[None, failed, None], &lines),
            Cancellation::OutOfStock(vec!["B".into()])
        );
        assert_eq!(
            classify(&[Some(CONFLICT), None, None], &lines),
            Cancellation::Conflict
        );
        assert_eq!(
            classify(&[Some("ValidationError"), None, None], &lines),
            Cancellation::Other("ValidationError, None, None".into())
        );
    }
}
