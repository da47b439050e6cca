//! The HTTP side of serve: HTTP/1.1 on a loopback listener, one task per connection. A request
//! goes by its path: `/service/AWSEventsV2/operation/<Operation>` to the Custom Event Bus API
//! ([`CustomBusApi::call`], Smithy RPC v2 CBOR), any other to the Classic API ([`Api::call`],
//! AWS JSON 1.1, [`super::protocol`]). No request can stop the server: a bad one gets its
//! protocol's error shape, a broken connection ends only itself.

use super::api::Api;
use super::custom_bus::CustomBusApi;
use super::custom_bus::protocol as cbor;
use super::protocol::{self, ApiError, CONTENT_TYPE};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::convert::Infallible;
use std::future::Future;
use tokio::net::TcpListener;

/// The largest request body read (PutEvents takes 256 KB of entries; JSON escaping can double
/// them).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Serves `api` on `listener` until `shutdown` completes.
pub(crate) async fn serve(listener: TcpListener, api: Api, shutdown: impl Future<Output = ()>) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        eprintln!("localbus serve: a connection could not be accepted: {error}");
                        continue;
                    }
                };
                let api = api.clone();
                connections.spawn(async move {
                    let service = service_fn(move |request| {
                        let api = api.clone();
                        async move { Ok::<_, Infallible>(answer(&api, request).await) }
                    });
                    // A client that goes away ends its own connection, nothing else.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One request's answer.
async fn answer(api: &Api, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if let Some(operation) = cbor::operation(request.uri().path()) {
        let operation = operation.to_owned();
        return custom_bus_answer(&api.custom_buses, &operation, request).await;
    }
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let result = async {
        let operation = protocol::operation(target.as_deref())?;
        let body = Limited::new(request.into_body(), MAX_BODY_BYTES)
            .collect()
            .await
            .map_err(|error| {
                ApiError::serialization(format!("the request body could not be read: {error}"))
            })?
            .to_bytes();
        let request = protocol::request(&body)?;
        api.call(operation, &request).await
    }
    .await;
    match result {
        Ok(body) => response(200, &body),
        Err(error) => response(error.status, &error.body()),
    }
}

/// A Custom Event Bus request's answer, in RPC v2 CBOR.
async fn custom_bus_answer(
    api: &CustomBusApi,
    operation: &str,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let result = match Limited::new(request.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(body) => api.call(operation, &body.to_bytes()),
        Err(error) => Err(cbor::CustomBusError::serialization(format!(
            "the request body could not be read: {error}"
        ))),
    };
    let (status, body) = match result {
        Ok(body) => (200, body),
        Err(error) => (error.status, error.body()),
    };
    let mut response = with_status(cbor::encode(&body), status, cbor::CONTENT_TYPE);
    response.headers_mut().insert(
        "smithy-protocol",
        hyper::header::HeaderValue::from_static(cbor::PROTOCOL),
    );
    response
}

fn response(status: u16, body: &Value) -> Response<Full<Bytes>> {
    with_status(body.to_string().into_bytes(), status, CONTENT_TYPE)
}

/// An answer with its status, content type and request id.
fn with_status(body: Vec<u8>, status: u16, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    if let Ok(id) = hyper::header::HeaderValue::from_str(&crate::deliver::request_id()) {
        headers.insert("x-amzn-requestid", id);
    }
    response
}
