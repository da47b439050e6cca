//! The event scanner: one pass over the event bytes.
//!
//! It walks only into keys that some pattern names (looked up in the path trie) and skips
//! every other value structurally, without allocating. Each leaf at a named path is tested
//! against that path's [`FieldIndex`](crate::value::FieldIndex); hits are recorded with
//! the *array context* of the leaf (which element of which array it sits in), so that after
//! the pass, sub-patterns can be checked for array consistency.

use std::collections::BTreeMap;

use crate::dedup;
use crate::error::EventError;
use crate::matcher::{Matcher, NONE};
use crate::number;
use crate::value::{FieldIndex, Literal};

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
        let canonical = dedup::canonical(event, m.limits.max_event_depth)?;
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

/// Byte classes for skipping: 1 quote, 2 open, 3 close.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'"' as usize] = 1;
    t[b'{' as usize] = 2;
    t[b'[' as usize] = 2;
    t[b'}' as usize] = 3;
    t[b']' as usize] = 3;
    t
};

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

    /// Skips any value.
    fn skip_value(&mut self, depth: usize) -> Result<(), EventError> {
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                self.string().map(|_| ())
            }
            Some(b'{' | b'[') => self.skip_container(depth),
            Some(b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
                while self.peek().is_some_and(|c| {
                    c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'+'
                }) {
                    self.pos += 1;
                }
                Ok(())
            }
            _ => Err(self.err("expected a value")),
        }
    }

    /// Skips an object or array (at its opening bracket). Works on 64-byte blocks: bit masks
    /// of quotes and brackets, string interiors by prefix XOR of the quote mask; blocks with
    /// a backslash, and the tail, go byte by byte.
    /// `outer` is the nesting depth of the value that holds the container.
    fn skip_container(&mut self, outer: usize) -> Result<(), EventError> {
        let b = self.b;
        let max_depth = self.m.limits.max_event_depth.saturating_sub(outer);
        let mut depth = 0usize;
        let mut in_str = false;
        let mut esc = false;
        let mut i = self.pos;
        while i < b.len() {
            if !esc {
                let m = if i + 64 <= b.len() {
                    Masks::of(&b[i..i + 64])
                } else {
                    // The tail, padded with NULs (which are not structural).
                    let mut block = [0u8; 64];
                    block[..b.len() - i].copy_from_slice(&b[i..]);
                    Masks::of(&block)
                };
                if m.backslash == 0 {
                    let carry = if in_str { u64::MAX } else { 0 };
                    let inside = prefix_xor(m.quote) ^ carry;
                    in_str = inside >> 63 == 1;
                    let opens = m.open & !inside;
                    let closes = m.close & !inside;
                    let n_close = closes.count_ones() as usize;
                    if depth > n_close {
                        depth = depth + opens.count_ones() as usize - n_close;
                        if depth > max_depth {
                            return Err(EventError::TooDeep(self.m.limits.max_event_depth));
                        }
                        i += 64;
                        continue;
                    }
                    let mut all = opens | closes;
                    while all != 0 {
                        let bit = all.trailing_zeros() as usize;
                        all &= all - 1;
                        if opens >> bit & 1 == 1 {
                            depth += 1;
                            if depth > max_depth {
                                return Err(EventError::TooDeep(self.m.limits.max_event_depth));
                            }
                        } else {
                            depth -= 1;
                            if depth == 0 {
                                self.pos = i + bit + 1;
                                return Ok(());
                            }
                        }
                    }
                    i += 64;
                    continue;
                }
            }
            // Byte by byte up to the end of this block.
            let end = (i + 64).min(b.len());
            while i < end {
                let c = b[i];
                i += 1;
                if in_str {
                    if esc {
                        esc = false;
                    } else if c == b'\\' {
                        esc = true;
                    } else if c == b'"' {
                        in_str = false;
                    }
                    continue;
                }
                match CLASS[c as usize] {
                    0 => {}
                    1 => in_str = true,
                    2 => {
                        depth += 1;
                        if depth > max_depth {
                            return Err(EventError::TooDeep(self.m.limits.max_event_depth));
                        }
                    }
                    _ => {
                        depth = depth.wrapping_sub(1);
                        if depth == 0 {
                            self.pos = i;
                            return Ok(());
                        }
                    }
                }
            }
        }
        self.pos = b.len();
        Err(self.err("unterminated object or array"))
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
            let child = if !dot {
                st.child(&self.b[ks..ke])
            } else if kesc {
                let mut key = std::mem::take(&mut self.s.keybuf);
                key.clear();
                let r = unescape(&self.b[ks..ke], &mut key);
                let c = if r { self.child(state, &key) } else { NONE };
                self.s.keybuf = key;
                if !r {
                    return Err(self.err("bad escape in key"));
                }
                c
            } else {
                self.child(state, &self.b[ks..ke])
            };
            self.ws();
            self.expect(b':', "expected ':'")?;
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

/// Bit masks of one 64-byte block.
struct Masks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
}

impl Masks {
    #[inline]
    fn of(block: &[u8]) -> Masks {
        use wide::u8x16;
        let quote = u8x16::splat(b'"');
        let backslash = u8x16::splat(b'\\');
        let open = u8x16::splat(b'{');
        let close = u8x16::splat(b'}');
        let lower = u8x16::splat(0x20);
        let mut m = Masks {
            quote: 0,
            backslash: 0,
            open: 0,
            close: 0,
        };
        for (k, chunk) in block.chunks_exact(16).take(4).enumerate() {
            let a: [u8; 16] = chunk.try_into().unwrap_or([0; 16]);
            let v = u8x16::from(a);
            let folded = v | lower; // '[' → '{', ']' → '}'
            let shift = 16 * k;
            m.quote |= u64::from(v.simd_eq(quote).to_bitmask()) << shift;
            m.backslash |= u64::from(v.simd_eq(backslash).to_bitmask()) << shift;
            m.open |= u64::from(folded.simd_eq(open).to_bitmask()) << shift;
            m.close |= u64::from(folded.simd_eq(close).to_bitmask()) << shift;
        }
        m
    }
}

/// Bit k = XOR of bits 0..=k.
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Position of the first `"` or `\` at or after `i`, and whether a `.` comes before it.
#[inline]
fn find_key_end(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut dot = false;
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let v = u64::from_le_bytes(w);
        let q = v ^ (ONES * u64::from(b'"'));
        let s = v ^ (ONES * u64::from(b'\\'));
        let d = v ^ (ONES * u64::from(b'.'));
        let hit = (q.wrapping_sub(ONES) & !q | s.wrapping_sub(ONES) & !s) & HIGH;
        let dots = d.wrapping_sub(ONES) & !d & HIGH;
        if hit != 0 {
            let first = hit.trailing_zeros();
            // Only dots before the terminator count (bits below it are exact).
            dot |= dots & ((1u64 << first) - 1) != 0;
            return Some((i + (first / 8) as usize, dot));
        }
        dot |= dots != 0;
        i += 8;
    }
    while i < b.len() {
        match b[i] {
            b'"' | b'\\' => return Some((i, dot)),
            b'.' => dot = true,
            _ => {}
        }
        i += 1;
    }
    None
}

/// Position of the first `"` or `\` at or after `i`.
#[inline]
fn find_quote_or_backslash(b: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let v = u64::from_le_bytes(w);
        let q = v ^ (ONES * u64::from(b'"'));
        let s = v ^ (ONES * u64::from(b'\\'));
        let hit = (q.wrapping_sub(ONES) & !q | s.wrapping_sub(ONES) & !s) & HIGH;
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    while i < b.len() {
        if b[i] == b'"' || b[i] == b'\\' {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Unescapes a JSON string body into `out`; `false` on a bad escape.
pub(crate) fn unescape(raw: &[u8], out: &mut Vec<u8>) -> bool {
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&e) = raw.get(i + 1) else {
            return false;
        };
        i += 2;
        match e {
            b'"' | b'\\' | b'/' => out.push(e),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'u' => {
                let Some(cp) = hex4(raw.get(i..i + 4)) else {
                    return false;
                };
                i += 4;
                let mut ch = char::from_u32(cp);
                if (0xD800..0xDC00).contains(&cp)
                    && raw.get(i) == Some(&b'\\')
                    && raw.get(i + 1) == Some(&b'u')
                    && let Some(lo) = hex4(raw.get(i + 2..i + 6))
                    && (0xDC00..0xE000).contains(&lo)
                {
                    ch = char::from_u32(0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
                    i += 6;
                }
                let mut tmp = [0u8; 4];
                out.extend_from_slice(ch.unwrap_or('\u{FFFD}').encode_utf8(&mut tmp).as_bytes());
            }
            _ => return false,
        }
    }
    true
}

fn hex4(b: Option<&[u8]>) -> Option<u32> {
    let b = b?;
    let mut v = 0;
    for &c in b {
        v = v * 16 + char::from(c).to_digit(16)?;
    }
    Some(v)
}

/// Combines hits into sub-pattern verdicts.
fn evaluate(m: &Matcher, s: &mut MatchScratch, event: &[u8], out: &mut Vec<usize>) {
    let epoch = s.epoch;
    for &(pred, ctx) in &s.hits {
        let (start, len) = m.pred_conds[pred as usize];
        for c in &m.conds[start as usize..(start + len) as usize] {
            let sub = c.sub as usize;
            if s.sub_stamp[sub] != epoch {
                s.sub_stamp[sub] = epoch;
                s.sub_mask[sub] = 0;
                s.sub_root[sub] = 0;
                s.touched.push(c.sub);
            }
            let bit = 1u64 << c.field;
            s.sub_mask[sub] |= bit;
            if ctx == 0 {
                s.sub_root[sub] |= bit;
            }
        }
    }
    let touched = std::mem::take(&mut s.touched);
    for &sub in touched.iter().chain(m.always.iter()) {
        let info = &m.subs[sub as usize];
        if s.rule_stamp[info.rule as usize] == epoch {
            continue;
        }
        let (mut eff, mut root) = if s.sub_stamp[sub as usize] == epoch {
            (s.sub_mask[sub as usize], s.sub_root[sub as usize])
        } else {
            (0, 0)
        };
        for &(bit, state) in &info.absent {
            if s.seen[state as usize] != epoch {
                eff |= bit;
                root |= bit;
            }
        }
        if eff | info.deferred_bits != info.all {
            continue;
        }
        s.extra.clear();
        if !info.deferred.is_empty() {
            let mut ok = true;
            for d in &info.deferred {
                let mut found = false;
                let head = s.leaf_head[d.state as usize];
                let mut at = if head.0 == epoch { head.1 } else { NONE };
                while let Some(leaf) = s.leaves.get(at as usize) {
                    at = leaf.prev;
                    if leaf_matches(&d.index, leaf, event, &mut s.buf) {
                        found = true;
                        if leaf.ctx == 0 {
                            root |= d.bit;
                        } else {
                            s.extra.push((leaf.ctx, d.bit));
                        }
                    }
                }
                if !found {
                    ok = false;
                    break;
                }
            }
            if !ok {
                continue;
            }
        }
        let need = info.all & !root;
        if need.count_ones() > 1 && !consistent(m, s, sub, need) {
            continue;
        }
        s.rule_stamp[info.rule as usize] = epoch;
        out.push(info.rule as usize);
    }
    s.touched = touched;
    out.sort_unstable();
}

/// Whether a recorded leaf passes one of a deferred field's tests.
fn leaf_matches(index: &FieldIndex, leaf: &Leaf, event: &[u8], buf: &mut Vec<u8>) -> bool {
    let mut hit = false;
    let raw = &event[leaf.start..leaf.end];
    match leaf.kind {
        LeafKind::Str => index.eval_str(raw, &mut |_| hit = true),
        LeafKind::EscapedStr => {
            buf.clear();
            if unescape(raw, buf) {
                index.eval_str(buf, &mut |_| hit = true);
            }
        }
        LeafKind::Num => {
            if let Some((_, parts)) = number::scan(raw, 0) {
                index.eval_num(raw, &parts, &mut |_| hit = true);
            }
        }
        LeafKind::Lit(lit) => index.eval_literal(lit, &mut |_| hit = true),
    }
    hit
}

/// Keeps only the maximal masks.
/// Keeps only the maximal masks; returns the number of comparisons made.
fn reduce(set: &mut Vec<u64>) -> usize {
    set.sort_unstable_by_key(|m| std::cmp::Reverse(m.count_ones()));
    set.dedup();
    let mut kept: Vec<u64> = Vec::with_capacity(set.len());
    let mut ops = 0;
    for &m in set.iter() {
        ops += kept.len();
        if !kept.iter().any(|&k| k & m == m) {
            kept.push(m);
        }
    }
    *set = kept;
    ops
}

/// Most mask combinations one consistency check may try (see `consistent`).
const DP_BUDGET: usize = 1 << 22;

/// Whether the fields in `need` (each hit only inside arrays) can all be satisfied by
/// leaves that sit in the same element of every array they share.
fn consistent(m: &Matcher, s: &MatchScratch, sub: u32, need: u64) -> bool {
    #[derive(Default)]
    struct Node {
        direct: u64,
        arrays: Vec<(u32, Vec<u64>)>,
    }
    let mut nodes: BTreeMap<u32, Node> = BTreeMap::new();
    let mut work = 0usize;
    for &(ctx, bit) in &s.extra {
        if need & bit != 0 {
            nodes.entry(ctx).or_default().direct |= bit;
        }
    }
    for &(pred, ctx) in &s.hits {
        if ctx == 0 {
            continue;
        }
        let (start, len) = m.pred_conds[pred as usize];
        for c in &m.conds[start as usize..(start + len) as usize] {
            let bit = 1u64 << c.field;
            if c.sub == sub && need & bit != 0 {
                nodes.entry(ctx).or_default().direct |= bit;
            }
        }
    }
    while let Some((ctx, node)) = nodes.pop_last() {
        // Everything reachable inside this context: its own hits plus one element of each
        // nested array.
        let mut sets = vec![node.direct];
        for (_, union) in node.arrays {
            work += sets.len() * (union.len() + 1);
            if work > DP_BUDGET {
                // Only reachable with dozens of fields inside arrays in one pattern.
                return false;
            }
            let mut next = Vec::with_capacity(sets.len() * (union.len() + 1));
            for &a in &sets {
                next.push(a);
                for &u in &union {
                    next.push(a | u);
                }
            }
            work += reduce(&mut next);
            sets = next;
        }
        if sets.iter().any(|&x| x & need == need) {
            return true;
        }
        if ctx == 0 {
            return false;
        }
        let parent = s.ctx_parent[ctx as usize];
        let array = s.ctx_array[ctx as usize];
        let pnode = nodes.entry(parent).or_default();
        match pnode.arrays.iter_mut().find(|(a, _)| *a == array) {
            Some((_, union)) => {
                union.extend(sets);
                work += reduce(union);
                if work > DP_BUDGET {
                    return false;
                }
            }
            None => pnode.arrays.push((array, sets)),
        }
    }
    false
}
