use eventbridge_lambda::{Event, OrderCreated, handler};

struct Mailer;

#[handler]
async fn handle(event: Event<OrderCreated>, mailer: &Mailer) -> Result<(), std::io::Error> {
    let _ = (event, mailer);
    Ok(())
}
