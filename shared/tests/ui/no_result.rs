use eventbridge_lambda::{Event, OrderCreated, handler};

#[handler]
async fn handle(event: Event<OrderCreated>) -> u32 {
    event.detail.items.len() as u32
}
