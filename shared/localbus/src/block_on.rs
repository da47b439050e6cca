//! The async work of a subcommand runs on one current-thread tokio runtime (blocking work, such
//! as an invocation under the emulator, goes to its blocking pool).

/// Runs `future` to completion on a new current-thread runtime.
///
/// # Errors
/// When the runtime cannot be built (the OS refused a thread or an I/O driver).
pub(crate) fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(|runtime| runtime.block_on(future))
        .map_err(|error| format!("cannot start the async runtime: {error}"))
}
