//! A one-pass reader for the SQS event envelope (`{"Records": [...]}`).
//!
//! Each message body is an EventBridge event serialized as a JSON *string*, so its bytes come in
//! short runs between escapes (`\"` around every key and string value). Reading such a string
//! through serde_json costs two scans (one to find where the body ends, one to unescape it) with
//! a call per escape. Here each body is unescaped, eight bytes at a time, in the same scan that
//! finds its end, into one buffer shared by the whole batch (and kept by the thread for the next
//! batch). Each body is decoded when the dispatcher reaches it.
//!
//! The reader is deliberately narrow and strict: it accepts only an object whose single key is
//! `Records`, holding an array of objects, and it validates every value it skips. Anything else
//! (another key, a repeated `messageId`, an escape in a key, nesting deeper than
//! [`MAX_DEPTH`], a lone surrogate, a syntax error, …) makes it give up with `None`, and the
//! caller reads the payload with serde_json instead, which decides. So it only ever accepts
//! payloads that serde_json reads, and reads them the same way.

use super::json::{MAX_DEPTH, Reader};
use std::borrow::Cow;
use std::cell::Cell;
use std::ops::Range;

thread_local! {
    /// The bodies buffer of the last batch this thread dropped, reused by the next one (no
    /// allocation, and no zeroing beyond what it already had).
    static BODIES: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// One message: the parts the dispatcher reads.
pub(crate) struct Message<'a> {
    /// `messageId`.
    pub(crate) message_id: Option<Cow<'a, str>>,
    /// `eventSourceARN`.
    pub(crate) event_source_arn: Option<Cow<'a, str>>,
    /// Where the unescaped `body` is in [`Batch::bodies`]; `None` when the message has no body
    /// (absent or `null`).
    body: Option<Range<usize>>,
}

/// The messages of an SQS event, with their bodies unescaped.
pub(crate) struct Batch<'a> {
    /// The messages, in order.
    pub(crate) messages: Vec<Message<'a>>,
    /// Every body, one after the other (and after them, whatever an earlier batch left).
    bodies: Vec<u8>,
}

/// `messageId`, `body` and `eventSourceARN` of one message, as serde reads them.
pub(crate) type Parts<'a> = (
    Option<Cow<'a, str>>,
    Option<Cow<'a, str>>,
    Option<Cow<'a, str>>,
);

impl<'a> Batch<'a> {
    /// A batch of messages read by serde (the two-step path).
    pub(crate) fn from_parts(parts: impl IntoIterator<Item = Parts<'a>>) -> Self {
        let mut bodies = Vec::new();
        let messages = parts
            .into_iter()
            .map(|(message_id, body, event_source_arn)| Message {
                message_id,
                event_source_arn,
                body: body.map(|body| {
                    let start = bodies.len();
                    bodies.extend_from_slice(body.as_bytes());
                    start..bodies.len()
                }),
            })
            .collect();
        Self { messages, bodies }
    }

    /// The unescaped body of `message` (one of this batch's); `None` when it has none.
    pub(crate) fn body(&self, message: &Message<'_>) -> Option<&str> {
        // Runs of the (valid) payload cut at ASCII bytes, and whole characters: this check cannot
        // fail, but it is the safe way to a `&str`.
        std::str::from_utf8(self.bodies.get(message.body.clone()?)?).ok()
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        let bodies = std::mem::take(&mut self.bodies);
        // Fails only while the thread is exiting; the buffer is then simply freed.
        let _ = BODIES.try_with(|cell| cell.set(bodies));
    }
}

/// Reads an SQS event. `None` when the payload is not an SQS event this reader accepts.
pub(crate) fn read_batch(text: &str) -> Option<Batch<'_>> {
    let mut reader = Reader::new(text);
    reader.expect(b'{')?;
    reader.expect(b'"')?;
    if reader.key()? != "Records" {
        return None;
    }
    reader.expect(b':')?;
    reader.expect(b'[')?;
    // Unescaped, the bodies are shorter than the payload: one buffer of its size holds them all
    // (and leaves `Reader::string_into` the room it needs).
    let mut bodies = BODIES.try_with(Cell::take).unwrap_or_default();
    if bodies.len() < text.len() {
        bodies.resize(text.len(), 0);
    }
    let mut batch = Batch {
        // Room for a batch of the default size (ten messages) without growing.
        messages: Vec::with_capacity(10),
        bodies,
    };
    let mut used = 0;
    if reader.peek()? == b']' {
        reader.pos += 1;
    } else {
        loop {
            let message = reader.message(&mut batch.bodies, &mut used)?;
            batch.messages.push(message);
            match reader.peek()? {
                b',' => reader.pos += 1,
                b']' => {
                    reader.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    reader.expect(b'}')?;
    reader.skip_whitespace();
    (reader.pos == reader.bytes.len()).then_some(batch)
}

impl<'a> Reader<'a> {
    /// One element of `Records`; its body is unescaped into `bodies` from `used` on.
    fn message(&mut self, bodies: &mut [u8], used: &mut usize) -> Option<Message<'a>> {
        let mut message = Message {
            message_id: None,
            event_source_arn: None,
            body: None,
        };
        let (mut has_id, mut has_body, mut has_arn) = (false, false, false);
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(message);
        }
        loop {
            self.expect(b'"')?;
            let key = self.key()?;
            self.expect(b':')?;
            match key {
                "messageId" => {
                    if std::mem::replace(&mut has_id, true) {
                        return None;
                    }
                    message.message_id = self.optional_str()?;
                }
                "body" => {
                    if std::mem::replace(&mut has_body, true) {
                        return None;
                    }
                    message.body = match self.peek()? {
                        b'"' => {
                            self.pos += 1;
                            let start = *used;
                            *used = self.string_into(bodies, start)?;
                            Some(start..*used)
                        }
                        b'n' => self.literal(b"null").map(|()| None)?,
                        _ => return None,
                    };
                }
                "eventSourceARN" => {
                    if std::mem::replace(&mut has_arn, true) {
                        return None;
                    }
                    message.event_source_arn = self.optional_str()?;
                }
                _ => self.skip_value(MAX_DEPTH)?,
            }
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(message);
                }
                _ => return None,
            }
        }
    }
}
