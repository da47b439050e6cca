//! Slow path for events with duplicate keys: rebuild the event as a tree in which the last
//! occurrence of a key wins (as in the JSON tree AWS builds), then write it back compactly.

use crate::error::EventError;
use crate::scan::unescape;

enum Node<'a> {
    Obj(Vec<(Vec<u8>, &'a [u8], Node<'a>)>),
    Arr(Vec<Node<'a>>),
    Raw(&'a [u8]),
}

struct P<'a> {
    b: &'a [u8],
    pos: usize,
    max_depth: usize,
}

fn bad(pos: usize, message: &'static str) -> EventError {
    EventError::Malformed {
        offset: pos,
        message,
    }
}

impl<'a> P<'a> {
    fn ws(&mut self) {
        while self
            .b
            .get(self.pos)
            .is_some_and(|c| matches!(c, b' ' | b'\n' | b'\r' | b'\t'))
        {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<&'a [u8], EventError> {
        let start = self.pos;
        self.pos += 1;
        while let Some(&c) = self.b.get(self.pos) {
            self.pos += 1;
            match c {
                b'"' => return Ok(&self.b[start..self.pos]),
                b'\\' => self.pos += 1,
                _ => {}
            }
        }
        Err(bad(start, "unterminated string"))
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, EventError> {
        if depth > self.max_depth {
            return Err(EventError::TooDeep(self.max_depth));
        }
        self.ws();
        match self.b.get(self.pos) {
            Some(b'{') => {
                self.pos += 1;
                let mut fields: Vec<(Vec<u8>, &'a [u8], Node<'a>)> = Vec::new();
                // Key → position in `fields` (keeps big objects linear).
                let mut index: rustc_hash::FxHashMap<Vec<u8>, usize> =
                    rustc_hash::FxHashMap::default();
                self.ws();
                if self.b.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                    return Ok(Node::Obj(fields));
                }
                loop {
                    self.ws();
                    if self.b.get(self.pos) != Some(&b'"') {
                        return Err(bad(self.pos, "expected a key"));
                    }
                    let raw = self.string()?;
                    let mut key = Vec::new();
                    if !unescape(&raw[1..raw.len() - 1], &mut key) {
                        return Err(bad(self.pos, "bad escape in key"));
                    }
                    self.ws();
                    if self.b.get(self.pos) != Some(&b':') {
                        return Err(bad(self.pos, "expected ':'"));
                    }
                    self.pos += 1;
                    let v = self.value(depth + 1)?;
                    match index.get(&key) {
                        Some(&at) => {
                            fields[at].1 = raw;
                            fields[at].2 = v;
                        }
                        None => {
                            index.insert(key.clone(), fields.len());
                            fields.push((key, raw, v));
                        }
                    }
                    self.ws();
                    match self.b.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Node::Obj(fields));
                        }
                        _ => return Err(bad(self.pos, "expected ',' or '}'")),
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(Node::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.b.get(self.pos) {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Node::Arr(items));
                        }
                        _ => return Err(bad(self.pos, "expected ',' or ']'")),
                    }
                }
            }
            Some(b'"') => Ok(Node::Raw(self.string()?)),
            Some(_) => {
                let start = self.pos;
                while self
                    .b
                    .get(self.pos)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+'))
                {
                    self.pos += 1;
                }
                if start == self.pos {
                    return Err(bad(start, "expected a value"));
                }
                Ok(Node::Raw(&self.b[start..self.pos]))
            }
            None => Err(bad(self.pos, "unexpected end of input")),
        }
    }
}

fn write(n: &Node<'_>, out: &mut Vec<u8>) {
    match n {
        Node::Raw(r) => out.extend_from_slice(r),
        Node::Arr(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(v, out);
            }
            out.push(b']');
        }
        Node::Obj(fields) => {
            out.push(b'{');
            for (i, (_, raw, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(raw);
                out.push(b':');
                write(v, out);
            }
            out.push(b'}');
        }
    }
}

/// The event with duplicate keys removed (last wins).
pub(crate) fn canonical(event: &[u8], max_depth: usize) -> Result<Vec<u8>, EventError> {
    let mut p = P {
        b: event,
        pos: 0,
        max_depth,
    };
    let root = p.value(1)?;
    let mut out = Vec::with_capacity(event.len());
    write(&root, &mut out);
    Ok(out)
}
