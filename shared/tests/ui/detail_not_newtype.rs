use eventbridge_lambda::{Detail, InstanceStateChange, OrderCreated};

#[derive(Detail)]
enum ShopEvent {
    Order(OrderCreated),
    Nothing,
    Pair(OrderCreated, InstanceStateChange),
    Named { order: OrderCreated },
}

fn main() {}
