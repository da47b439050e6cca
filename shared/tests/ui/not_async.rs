use eventbridge_lambda::{Event, OrderCreated, handler};

#[handler]
fn handle(event: Event<OrderCreated>) -> Result<(), std::io::Error> {
    let _ = event;
    Ok(())
}
