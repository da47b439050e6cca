use eventbridge_lambda::{Event, handler};

#[derive(serde::Deserialize)]
struct NotRegistered {
    id: String,
}

#[handler]
async fn handle(event: Event<NotRegistered>) -> Result<(), std::io::Error> {
    let _ = event.detail.id;
    Ok(())
}
