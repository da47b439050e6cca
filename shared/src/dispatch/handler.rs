//! The user's handler: the trait every handler function implements, and one call of it with
//! its panics caught.

use super::EventError;
use crate::decode::EventId;
use crate::{BoxError, Context, Event};
use futures_util::FutureExt;
use futures_util::future::Either;
use serde::Serialize;
use serde_json::value::RawValue;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

/// A user handler: an async function of the event and the invocation context.
///
/// Implemented for every `Fn(Event<T>, Context) -> impl Future<Output = Result<O, E>>`; the
/// `#[handler]` macro builds such a closure around your function. The future is `Send`, so that
/// invocations can run concurrently (Lambda Managed Instances). `E` is any error convertible
/// into a boxed error: a `std::error::Error + Send + Sync` type (its `source()` chain is kept in
/// the log line and in Lambda's `errorMessage`), `String`, or `anyhow::Error`.
///
/// ```
/// use eventbridge_lambda::dispatch::EventHandler;
/// use eventbridge_lambda::{Context, Event, OrderCreated};
///
/// fn takes_handler<H: EventHandler<OrderCreated>>(_: H) {}
/// takes_handler(|event: Event<OrderCreated>, _ctx: Context| async move {
///     Ok::<_, std::io::Error>(event.detail.order_id)
/// });
/// ```
pub trait EventHandler<T> {
    /// The response, stored for duplicates and returned to direct invocations.
    type Output: Serialize + Send;
    /// The error; it is logged and reported with its causes.
    type Error: Into<BoxError> + Send;
    /// Handles one event.
    fn call(
        &self,
        event: Event<T>,
        ctx: Context,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;
}

impl<T, F, Fut, O, E> EventHandler<T> for F
where
    F: Fn(Event<T>, Context) -> Fut,
    Fut: Future<Output = Result<O, E>> + Send,
    O: Serialize + Send,
    E: Into<BoxError> + Send,
{
    type Output = O;
    type Error = E;

    fn call(&self, event: Event<T>, ctx: Context) -> impl Future<Output = Result<O, E>> + Send {
        self(event, ctx)
    }
}

/// The handler's result, or the payload of its panic.
pub(super) type Called<H, T> = Result<
    Result<<H as EventHandler<T>>::Output, <H as EventHandler<T>>::Error>,
    Box<dyn Any + Send>,
>;

/// Calls the handler, catching a panic both in the call and while its future runs. (A plain
/// function returning the future, so that the caller holds that future only once.)
pub(super) fn call<T, H: EventHandler<T>>(
    handler: &H,
    event: Event<T>,
    ctx: Context,
) -> impl Future<Output = Called<H, T>> {
    // Boxed: the caller's future (which every invocation moves several times) then holds a
    // pointer instead of the handler's whole future, with the event and context in it.
    let call = std::panic::catch_unwind(AssertUnwindSafe(|| Box::pin(handler.call(event, ctx))));
    match call {
        Ok(future) => Either::Left(AssertUnwindSafe(future).catch_unwind()),
        Err(panic) => Either::Right(std::future::ready(Err(panic))),
    }
}

/// The handler's outcome as its serialized response or an error. `id` names the event in errors
/// (the event itself was moved into the handler).
pub(super) fn response<T, H: EventHandler<T>>(
    called: Called<H, T>,
    id: Option<&str>,
) -> Result<Box<RawValue>, EventError> {
    let id = || EventId(id.map(str::to_owned));
    match called {
        Ok(Ok(output)) => serde_json::value::to_raw_value(&output)
            .map_err(|error| EventError::Response { id: id(), error }),
        Ok(Err(error)) => Err(EventError::Handler {
            id: id(),
            error_type: short_type_name::<H::Error>(),
            error: error.into(),
        }),
        Err(panic) => Err(EventError::Panicked {
            id: id(),
            message: panic_message(panic.as_ref()),
        }),
    }
}

fn short_type_name<E>() -> &'static str {
    let full = std::any::type_name::<E>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
