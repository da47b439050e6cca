//! The event scanner: one pass over the event bytes.
//!
//! It walks only into keys that some pattern names (looked up in the path trie) and skips
//! every other value structurally, without allocating. Each leaf at a named path is tested
//! against that path's [`FieldIndex`](crate::value::FieldIndex); hits are recorded with
//! the *array context* of the leaf (which element of which array it sits in), so that after
//! the pass, sub-patterns can be checked for array consistency.

mod evaluate;
mod skip;
mod text;

use crate::duplicate_keys;
use crate::error::EventError;
use crate::matcher::{Matcher, NONE};
use crate::number;
use crate::value::Literal;
use evaluate::evaluate;
pub(crate) use text::unescape;
use text::{find_key_end, find_quote_or_backslash};

/// Reusable per-thread working memory for matching (see
/// [`Matcher::matching_ids_with`](crate::Matcher::matching_ids_with)).
#[derive(Debug, Default)]
pub struct MatchScratch {
    epoch: u32,
    hits: Vec<(u32, u32)>,
    ctx_parent: Vec<u32>,
    ctx_array: Vec<u32>,
    next_array: u32,
    seen: Vec<u32>,
    sub_stamp: Vec<u32>,
    sub_mask: Vec<u64>,
    sub_root: Vec<u64>,
    touched: Vec<u32>,
    rule_stamp: Vec<u32>,
    frame_keys: Vec<u32>,
    dup: bool,
    buf: Vec<u8>,
    keybuf: Vec<u8>,
    leaves: Vec<Leaf>,
    /// Per path state: (epoch, index of its last recorded leaf).
    leaf_head: Vec<(u32, u32)>,
    extra: Vec<(u32, u64)>,
}

/// A leaf recorded for deferred checks: where its text is in the event.
#[derive(Debug, Clone, Copy)]
struct Leaf {
    /// Previous leaf of the same path, or `NONE`.
    prev: u32,
    ctx: u32,
    kind: LeafKind,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LeafKind {
    Str,
    EscapedStr,
    Num,
    Lit(Literal),
}

impl MatchScratch {
    fn prepare(&mut self, m: &Matcher) {
        if self.epoch == u32::MAX {
            self.epoch = 0;
            self.seen.iter_mut().for_each(|x| *x = 0);
            self.leaf_head.iter_mut().for_each(|x| *x = (0, NONE));
            self.sub_stamp.iter_mut().for_each(|x| *x = 0);
            self.rule_stamp.iter_mut().for_each(|x| *x = 0);
        }
        self.epoch += 1;
        if self.seen.len() < m.states.len() {
            self.seen.resize(m.states.len(), 0);
            self.leaf_head.resize(m.states.len(), (0, NONE));
        }
        if self.sub_stamp.len() < m.subs.len() {
            self.sub_stamp.resize(m.subs.len(), 0);
            self.sub_mask.resize(m.subs.len(), 0);
            self.sub_root.resize(m.subs.len(), 0);
        }
        if self.rule_stamp.len() < m.names.len() {
            self.rule_stamp.resize(m.names.len(), 0);
        }
        self.hits.clear();
        self.ctx_parent.clear();
        self.ctx_array.clear();
        self.ctx_parent.push(NONE);
        self.ctx_array.push(NONE);
        self.next_array = 0;
        self.touched.clear();
        self.frame_keys.clear();
        self.dup = false;
        self.leaves.clear();
    }
}

/// Matches one event; fills `out` with ascending rule indices.
pub(crate) fn run(
    m: &Matcher,
    s: &mut MatchScratch,
    event: &[u8],
    out: &mut Vec<usize>,
) -> Result<(), EventError> {
    out.clear();
    if event.len() > m.limits.max_event_bytes {
        return Err(EventError::TooLarge {
            actual: event.len(),
            limit: m.limits.max_event_bytes,
        });
    }
    s.prepare(m);
    scan_event(m, s, event)?;
    if s.dup {
        // Duplicate keys among the named ones: the last occurrence wins, as in a JSON tree.
        let canonical = duplicate_keys::canonical(event, m.limits.max_event_depth)?;
        s.prepare(m);
        scan_event(m, s, &canonical)?;
        evaluate(m, s, &canonical, out);
    } else {
        evaluate(m, s, event, out);
    }
    Ok(())
}

fn scan_event(m: &Matcher, s: &mut MatchScratch, event: &[u8]) -> Result<(), EventError> {
    let mut sc = Scanner {
        b: event,
        pos: 0,
        m,
        s,
    };
    sc.ws();
    if sc.peek() != Some(b'{') {
        // Distinguish garbage from a valid non-object.
        return Err(match sc.peek() {
            Some(b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => EventError::NotAnObject,
            _ => sc.err("expected a JSON object"),
        });
    }
    sc.object(0, 0, 1)?;
    sc.ws();
    if sc.pos != sc.b.len() {
        return Err(sc.err("unexpected data after the event object"));
    }
    Ok(())
}

struct Scanner<'a, 's> {
    b: &'a [u8],
    pos: usize,
    m: &'a Matcher,
    s: &'s mut MatchScratch,
}

impl Scanner<'_, '_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn err(&self, message: &'static str) -> EventError {
        EventError::Malformed {
            offset: self.pos,
            message,
        }
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            // One comparison for the usual case, compact JSON.
            if c > b' ' {
                break;
            }
            if c == b' ' || c == b'\n' || c == b'\r' || c == b'\t' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn expect(&mut self, c: u8, message: &'static str) -> Result<(), EventError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(message))
        }
    }

    /// At the byte after an opening quote: returns (start, end, has_escape) of the body and
    /// leaves `pos` after the closing quote.
    #[inline]
    fn string(&mut self) -> Result<(usize, usize, bool), EventError> {
        let start = self.pos;
        let mut escaped = false;
        let mut i = self.pos;
        while let Some(at) = find_quote_or_backslash(self.b, i) {
            if self.b[at] == b'"' {
                self.pos = at + 1;
                return Ok((start, at, escaped));
            }
            escaped = true;
            i = at + 2;
            if i > self.b.len() {
                break;
            }
        }
        self.pos = self.b.len();
        Err(self.err("unterminated string"))
    }

    /// Like [`string`](Self::string) for a key; also reports whether it holds a dot.
    #[inline]
    fn key(&mut self) -> Result<(usize, usize, bool, bool), EventError> {
        let start = self.pos;
        match find_key_end(self.b, start) {
            Some((end, dot)) if self.b[end] == b'"' => {
                self.pos = end + 1;
                Ok((start, end, false, dot))
            }
            _ => {
                let (s, e, esc) = self.string()?;
                Ok((s, e, esc, true))
            }
        }
    }

    /// Resolves a key from `state`; keys with dots walk several trie levels.
    #[inline]
    fn child(&self, state: u32, key: &[u8]) -> u32 {
        let st = &self.m.states[state as usize];
        if !key.contains(&b'.') {
            return st.child(key);
        }
        let mut cur = state;
        for seg in key.split(|&c| c == b'.') {
            let st = &self.m.states[cur as usize];
            cur = st.child(seg);
            if cur == NONE {
                return NONE;
            }
        }
        cur
    }

    /// At `{`.
    fn object(&mut self, state: u32, ctx: u32, depth: usize) -> Result<(), EventError> {
        if depth > self.m.limits.max_event_depth {
            return Err(EventError::TooDeep(self.m.limits.max_event_depth));
        }
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let frame = self.s.frame_keys.len();
        let m: &Matcher = self.m;
        let st = &m.states[state as usize];
        loop {
            self.expect(b'"', "expected a key")?;
            let (ks, ke, kesc, dot) = self.key()?;
            let child = if dot {
                self.dotted_child(state, ks, ke, kesc)?
            } else {
                st.child(&self.b[ks..ke])
            };
            if self.peek() == Some(b':') {
                // Compact JSON: no whitespace around the colon.
                self.pos += 1;
            } else {
                self.ws();
                self.expect(b':', "expected ':'")?;
            }
            self.ws();
            if child == NONE {
                self.skip_value(depth)?;
            } else {
                if self.s.frame_keys[frame..].contains(&child) {
                    self.s.dup = true;
                } else {
                    self.s.frame_keys.push(child);
                }
                self.value(child, ctx, depth)?;
            }
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                }
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
        self.s.frame_keys.truncate(frame);
        Ok(())
    }

    /// The child for a key with a dot or an escape (`ks..ke` is its raw body): rare, so kept
    /// out of the object loop.
    #[cold]
    #[inline(never)]
    fn dotted_child(
        &mut self,
        state: u32,
        ks: usize,
        ke: usize,
        escaped: bool,
    ) -> Result<u32, EventError> {
        if !escaped {
            return Ok(self.child(state, &self.b[ks..ke]));
        }
        let mut key = std::mem::take(&mut self.s.keybuf);
        key.clear();
        let ok = unescape(&self.b[ks..ke], &mut key);
        let c = if ok { self.child(state, &key) } else { NONE };
        self.s.keybuf = key;
        if ok {
            Ok(c)
        } else {
            Err(self.err("bad escape in key"))
        }
    }

    /// At `[`; every element gets its own array context.
    fn array(&mut self, state: u32, ctx: u32, depth: usize) -> Result<(), EventError> {
        if depth > self.m.limits.max_event_depth {
            return Err(EventError::TooDeep(self.m.limits.max_event_depth));
        }
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let array = self.s.next_array;
        self.s.next_array = self.s.next_array.wrapping_add(1);
        loop {
            let elem = u32::try_from(self.s.ctx_parent.len()).unwrap_or(NONE);
            self.s.ctx_parent.push(ctx);
            self.s.ctx_array.push(array);
            self.value(state, elem, depth)?;
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.ws();
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    #[inline]
    fn mark_seen(&mut self, state: u32) {
        if self.m.states[state as usize].track_seen {
            self.s.seen[state as usize] = self.s.epoch;
        }
    }

    #[inline]
    fn record(&mut self, state: u32, ctx: u32, kind: LeafKind, start: usize, end: usize) {
        let id = u32::try_from(self.s.leaves.len()).unwrap_or(NONE);
        let head = &mut self.s.leaf_head[state as usize];
        let prev = if head.0 == self.s.epoch { head.1 } else { NONE };
        *head = (self.s.epoch, id);
        self.s.leaves.push(Leaf {
            prev,
            ctx,
            kind,
            start,
            end,
        });
    }

    /// A value at a named path.
    fn value(&mut self, state: u32, ctx: u32, depth: usize) -> Result<(), EventError> {
        let st = &self.m.states[state as usize];
        let field = st.field;
        let record = st.record;
        match self.peek() {
            Some(b'{') => {
                if st.has_children {
                    self.object(state, ctx, depth + 1)
                } else {
                    self.skip_container(depth)
                }
            }
            Some(b'[') => self.array(state, ctx, depth + 1),
            Some(b'"') => {
                self.pos += 1;
                let (start, end, esc) = self.string()?;
                if record {
                    let kind = if esc {
                        LeafKind::EscapedStr
                    } else {
                        LeafKind::Str
                    };
                    self.record(state, ctx, kind, start, end);
                }
                if field == NONE {
                    self.mark_seen(state);
                    return Ok(());
                }
                self.mark_seen(state);
                let idx = &self.m.fields[field as usize];
                let hits = &mut self.s.hits;
                if esc {
                    let mut buf = std::mem::take(&mut self.s.buf);
                    buf.clear();
                    if !unescape(&self.b[start..end], &mut buf) {
                        self.s.buf = buf;
                        return Err(self.err("bad escape in string"));
                    }
                    idx.eval_str(&buf, &mut |p| hits.push((p, ctx)));
                    self.s.buf = buf;
                } else {
                    idx.eval_str(&self.b[start..end], &mut |p| hits.push((p, ctx)));
                }
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                let Some((end, parts)) = number::scan(self.b, start) else {
                    return Err(self.err("invalid number"));
                };
                self.pos = end;
                self.mark_seen(state);
                if record {
                    self.record(state, ctx, LeafKind::Num, start, end);
                }
                if field != NONE {
                    let hits = &mut self.s.hits;
                    self.m.fields[field as usize]
                        .eval_num(&self.b[start..end], &parts, &mut |p| hits.push((p, ctx)));
                }
                Ok(())
            }
            Some(b't' | b'f' | b'n') => {
                let lit = if self.b[self.pos..].starts_with(b"true") {
                    self.pos += 4;
                    Literal::True
                } else if self.b[self.pos..].starts_with(b"false") {
                    self.pos += 5;
                    Literal::False
                } else if self.b[self.pos..].starts_with(b"null") {
                    self.pos += 4;
                    Literal::Null
                } else {
                    return Err(self.err("invalid literal"));
                };
                if self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                    return Err(self.err("invalid literal"));
                }
                self.mark_seen(state);
                if record {
                    self.record(state, ctx, LeafKind::Lit(lit), self.pos, self.pos);
                }
                if field != NONE {
                    let hits = &mut self.s.hits;
                    self.m.fields[field as usize].eval_literal(lit, &mut |p| hits.push((p, ctx)));
                }
                Ok(())
            }
            _ => Err(self.err("expected a value")),
        }
    }
}
