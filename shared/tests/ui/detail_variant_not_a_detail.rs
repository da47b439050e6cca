use eventbridge_lambda::{Detail, OrderCreated};

#[derive(serde::Deserialize)]
struct NotRegistered {
    id: String,
}

#[derive(Detail)]
enum ShopEvent {
    Order(OrderCreated),
    Other(NotRegistered),
}

fn main() {}
