//! A small, strict JSON scanner for the one-pass SQS reader ([`super::sqs`]).
//!
//! Every method returns `None` as soon as the text is not what it expects, or not valid JSON, or
//! valid JSON that it does not handle (a caller then reads the payload with serde_json, which
//! decides). It never accepts text that serde_json refuses: skipped values are checked as
//! serde_json checks them when it skips, and strings are unescaped as serde_json unescapes them.

use std::borrow::Cow;

/// Deepest nesting of a skipped value (serde_json has no limit when skipping; giving up earlier
/// only sends such payloads to serde_json).
pub(super) const MAX_DEPTH: u32 = 64;

/// A position in a JSON text.
pub(super) struct Reader<'a> {
    pub(super) text: &'a str,
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    pub(super) fn new(text: &'a str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    /// Skips JSON whitespace.
    #[inline]
    pub(super) fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    pub(super) fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes.get(self.pos).copied()
    }

    /// Consumes `byte` after whitespace.
    #[inline]
    pub(super) fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// An object key (its opening quote consumed) without escapes.
    #[inline]
    pub(super) fn key(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let end = self.scan_plain(start);
        if self.bytes.get(end) != Some(&b'"') {
            return None;
        }
        self.pos = end + 1;
        self.text.get(start..end)
    }

    /// A string or `null`, borrowed from the payload when it has no escapes.
    #[inline]
    pub(super) fn optional_str(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.peek()? {
            b'"' => {
                let start = self.pos;
                self.pos += 1;
                let escaped = self.skip_string()?;
                let token = self.text.get(start..self.pos)?;
                Some(Some(if escaped {
                    // Rare in envelopes (ids, names, ARNs): serde_json unescapes it.
                    Cow::Owned(serde_json::from_str(token).ok()?)
                } else {
                    Cow::Borrowed(token.get(1..token.len() - 1)?)
                }))
            }
            b'n' => self.literal(b"null").map(|()| None),
            _ => None,
        }
    }

    /// A string (its opening quote consumed), unescaped into `out` from index `o` on; the index
    /// after it. `out` needs room for as many bytes as the rest of the payload has (whole words
    /// of the string are written ahead of where its unescaped text ends); without it the string
    /// is refused.
    #[inline(never)]
    pub(super) fn string_into(&mut self, out: &mut [u8], mut o: usize) -> Option<usize> {
        let bytes = self.bytes;
        let start = self.pos;
        let mut pos = start;
        // Eight bytes at a time: each word is copied whole, and the output advances to its first
        // quote or backslash, which is then dealt with. (Control characters are looked for once
        // the string's end is known.)
        while let Some(chunk) = bytes.get(pos..pos + 8) {
            let chunk: [u8; 8] = chunk.try_into().ok()?;
            out.get_mut(o..o + 8)?.copy_from_slice(&chunk);
            let word = u64::from_le_bytes(chunk);
            let special = quotes_and_backslashes(word);
            if special == 0 {
                pos += 8;
                o += 8;
                continue;
            }
            let plain = special.trailing_zeros() / 8;
            pos += plain as usize;
            o += plain as usize;
            if (word >> (plain * 8)) as u8 == b'"' {
                // The end: no control character may come before it.
                if has_control_character(bytes.get(start..pos)?) {
                    return None;
                }
                self.pos = pos + 1;
                return Some(o);
            }
            // A backslash.
            let unescaped = UNESCAPED[usize::from(*bytes.get(pos + 1)?)];
            if unescaped == 0 {
                // `\u` (or an invalid escape).
                self.pos = pos;
                o = self.unicode_escape_into(out, o)?;
                pos = self.pos;
            } else {
                *out.get_mut(o)? = unescaped;
                o += 1;
                pos += 2;
            }
        }
        if has_control_character(bytes.get(start..pos)?) {
            return None;
        }
        // The last bytes of the text, fewer than eight.
        loop {
            let byte = *bytes.get(pos)?;
            match byte {
                b'\\' => {
                    let unescaped = UNESCAPED[usize::from(*bytes.get(pos + 1)?)];
                    if unescaped == 0 {
                        self.pos = pos;
                        o = self.unicode_escape_into(out, o)?;
                        pos = self.pos;
                    } else {
                        *out.get_mut(o)? = unescaped;
                        o += 1;
                        pos += 2;
                    }
                }
                b'"' => {
                    self.pos = pos + 1;
                    return Some(o);
                }
                0..0x20 => return None,
                _ => {
                    *out.get_mut(o)? = byte;
                    o += 1;
                    pos += 1;
                }
            }
        }
    }

    /// A `\u` escape at `self.pos` (at its backslash), written to `out` at `o`; the index after
    /// it. `None` for any other escape.
    pub(super) fn unicode_escape_into(&mut self, out: &mut [u8], o: usize) -> Option<usize> {
        if self.bytes.get(self.pos..self.pos + 2)? != b"\\u" {
            return None;
        }
        self.pos += 2;
        let mut utf8 = [0; 4];
        let character = self.unicode_escape()?.encode_utf8(&mut utf8);
        out.get_mut(o..o + character.len())?
            .copy_from_slice(character.as_bytes());
        Some(o + character.len())
    }

    /// The first position at or after `pos` holding a quote, a backslash or a control character
    /// (or the end of the text).
    #[inline]
    pub(super) fn scan_plain(&self, mut pos: usize) -> usize {
        while let Some(chunk) = self.bytes.get(pos..pos + 8) {
            let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
                break;
            };
            let special = special_bytes(u64::from_le_bytes(chunk));
            if special != 0 {
                return pos + (special.trailing_zeros() / 8) as usize;
            }
            pos += 8;
        }
        let rest = self.bytes.get(pos..).unwrap_or_default();
        pos + rest
            .iter()
            .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
            .unwrap_or(rest.len())
    }

    /// The character of a `\u` escape (`\u` consumed), pairing surrogates as serde_json does; a
    /// lone or reversed surrogate gives `None` (serde_json refuses it in a string).
    pub(super) fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if !(0xD800..0xDC00).contains(&first) {
            // Not a leading surrogate; `None` for a lone trailing one.
            return char::from_u32(u32::from(first));
        }
        if self.bytes.get(self.pos..self.pos + 2)? != b"\\u" {
            return None;
        }
        self.pos += 2;
        let second = self.hex4()?;
        if !(0xDC00..0xE000).contains(&second) {
            return None;
        }
        char::from_u32(0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00))
    }

    /// Four hexadecimal digits.
    pub(super) fn hex4(&mut self) -> Option<u16> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        if !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        u16::from_str_radix(digits, 16).ok()
    }

    /// Skips a string (its opening quote consumed), checking it as serde_json does when it
    /// skips; whether it has escapes.
    #[inline]
    pub(super) fn skip_string(&mut self) -> Option<bool> {
        let mut escaped = false;
        loop {
            let end = self.scan_plain(self.pos);
            match self.bytes.get(end)? {
                b'"' => {
                    self.pos = end + 1;
                    return Some(escaped);
                }
                b'\\' => {
                    escaped = true;
                    self.pos = end + 2;
                    match self.bytes.get(end + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            self.hex4()?;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// Consumes `word` (`true`, `false`, `null`).
    #[inline]
    pub(super) fn literal(&mut self, word: &[u8]) -> Option<()> {
        let text = self.bytes.get(self.pos..self.pos + word.len())?;
        // Byte by byte: a slice comparison would call `memcmp` for these few bytes.
        text.iter()
            .zip(word)
            .all(|(a, b)| a == b)
            .then(|| self.pos += word.len())
    }

    /// Skips any JSON value, nested at most `depth` deep.
    pub(super) fn skip_value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                self.skip_string().map(|_| ())
            }
            b'{' => {
                self.pos += 1;
                let depth = depth.checked_sub(1)?;
                if self.peek()? == b'}' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.expect(b'"')?;
                    self.skip_string()?;
                    self.expect(b':')?;
                    self.skip_value(depth)?;
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b'}' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                let depth = depth.checked_sub(1)?;
                if self.peek()? == b']' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.skip_value(depth)?;
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    /// A number in JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    pub(super) fn skip_number(&mut self) -> Option<()> {
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.bytes.get(self.pos)? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    /// Skips ASCII digits; how many.
    pub(super) fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        self.pos - start
    }
}

/// What each simple escape (`\"`, `\n`, …) stands for; 0 for the other bytes.
const UNESCAPED: [u8; 256] = {
    let mut table = [0; 256];
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'/' as usize] = b'/';
    table[b'b' as usize] = 0x08;
    table[b'f' as usize] = 0x0c;
    table[b'n' as usize] = b'\n';
    table[b'r' as usize] = b'\r';
    table[b't' as usize] = b'\t';
    table
};

/// Whether `bytes` has a control character (in a form the compiler vectorizes: no early exit).
fn has_control_character(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .fold(false, |found, &byte| found | (byte < 0x20))
}

/// In the little-endian `word`, the high bit of the lowest byte that is a quote or a backslash
/// is set, and no bit below it (bits above it may be set spuriously).
fn quotes_and_backslashes(word: u64) -> u64 {
    const ONES: u64 = u64::MAX / 255;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let has_quote = quote.wrapping_sub(ONES) & !quote;
    let has_backslash = backslash.wrapping_sub(ONES) & !backslash;
    (has_quote | has_backslash) & (ONES << 7)
}

/// In the little-endian `word`, the high bit of the lowest byte that is a quote, a backslash or a
/// control character is set, and no bit below it (bits above it may be set spuriously).
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let has_quote = quote.wrapping_sub(ONES) & !quote;
    let has_backslash = backslash.wrapping_sub(ONES) & !backslash;
    let has_control = word.wrapping_sub(ONES * 0x20) & !word;
    (has_quote | has_backslash | has_control) & HIGH
}
