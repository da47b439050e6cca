//! A fault-injecting HTTP server on loopback: answers every request with what the test decides
//! (throttling, HTTP 500s, slow responses, per-entry failures), and records what it received.

use crate::TestingError;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method and path, e.g. `POST /`.
    pub line: String,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// Wait this long before answering (slow endpoints, timeouts).
    pub delay: Duration,
}

impl Response {
    /// A JSON answer (`application/x-amz-json-1.1`, what DynamoDB and EventBridge speak).
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/x-amz-json-1.1".into())],
            body: body.into().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    /// An AWS JSON-protocol error, e.g. `aws_error(400, "ThrottlingException", "Rate exceeded")`.
    pub fn aws_error(status: u16, error_type: &str, message: &str) -> Self {
        let mut response = Self::json(
            status,
            format!(r#"{{"__type":"{error_type}","message":"{message}"}}"#),
        );
        response
            .headers
            .push(("x-amzn-errortype".into(), error_type.into()));
        response
    }

    /// The same answer after `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// The server; stops accepting when dropped.
pub struct FaultServer {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for FaultServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultServer")
            .field("port", &self.port)
            .finish()
    }
}

impl FaultServer {
    /// Starts a server answering every request with `handler(request)`.
    ///
    /// # Errors
    /// When no port can be bound.
    pub fn start(
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> Result<Self, TestingError> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (accept_requests, accept_stop) = (Arc::clone(&requests), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (requests, handler) = (Arc::clone(&accept_requests), Arc::clone(&handler));
                std::thread::spawn(move || serve(stream, &requests, handler.as_ref()));
            }
        });
        Ok(Self {
            port,
            requests,
            stop,
        })
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Serves one keep-alive connection.
fn serve(stream: TcpStream, requests: &Mutex<Vec<Request>>, handler: &Handler) {
    // Answers go out in one write with Nagle off, so no response waits for a delayed ACK.
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_or(true, |read| read == 0) {
            return;
        }
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).map_or(true, |read| read == 0) {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let length = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .and_then(|(_, value)| value.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Request {
            line: line.trim_end().to_owned(),
            headers,
            body,
        };
        let response = handler(&request);
        requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
        std::thread::sleep(response.delay);
        let mut head = format!(
            "HTTP/1.1 {} X\r\ncontent-length: {}\r\n",
            response.status,
            response.body.len()
        );
        for (name, value) in &response.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut answer = head.into_bytes();
        answer.extend_from_slice(&response.body);
        if writer.write_all(&answer).is_err() {
            return;
        }
    }
}
