use eventbridge_lambda::handler;

#[handler]
async fn handle(event: String) -> Result<(), std::io::Error> {
    let _ = event;
    Ok(())
}
