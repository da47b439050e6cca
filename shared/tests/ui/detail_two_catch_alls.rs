use eventbridge_lambda::{Detail, OrderCreated};

#[derive(Detail)]
enum ShopEvent {
    Order(OrderCreated),
    #[detail(other)]
    Raw(serde_json::Value),
    #[detail(other)]
    AlsoRaw { detail: serde_json::Value },
}

fn main() {}
