//! Skipping values no pattern names: 64-byte blocks turned into bit masks of quotes,
//! backslashes and brackets, string interiors found by prefix XOR of the quote mask.

use super::Scanner;
use super::text::find_quote_or_backslash;
use crate::error::EventError;

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

impl Scanner<'_, '_> {
    /// Skips any value.
    pub(super) fn skip_value(&mut self, depth: usize) -> Result<(), EventError> {
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                // Usual case: the first quote or backslash is the closing quote.
                if let Some(at) = find_quote_or_backslash(self.b, self.pos)
                    && self.b[at] == b'"'
                {
                    self.pos = at + 1;
                    return Ok(());
                }
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
    pub(super) fn skip_container(&mut self, outer: usize) -> Result<(), EventError> {
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
                    let mut all = m.bracket & !inside;
                    while all != 0 {
                        let bit = all.trailing_zeros() as usize;
                        all &= all - 1;
                        // `{` and `[` have bit 1 set, `}` and `]` do not.
                        if b.get(i + bit).is_some_and(|&c| c & 2 != 0) {
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
}

/// Bit masks of one 64-byte block.
struct Masks {
    quote: u64,
    /// Non-zero when the block holds a backslash.
    backslash: u32,
    /// Brackets of both kinds.
    bracket: u64,
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
            bracket: 0,
        };
        let mut any_backslash = u8x16::splat(0);
        for (k, chunk) in block.chunks_exact(16).take(4).enumerate() {
            let a: [u8; 16] = chunk.try_into().unwrap_or([0; 16]);
            let v = u8x16::from(a);
            let folded = v | lower; // '[' → '{', ']' → '}'
            let shift = 16 * k;
            m.quote |= u64::from(v.simd_eq(quote).to_bitmask()) << shift;
            any_backslash |= v.simd_eq(backslash);
            let bracket = folded.simd_eq(open) | folded.simd_eq(close);
            m.bracket |= u64::from(bracket.to_bitmask()) << shift;
        }
        m.backslash = any_backslash.to_bitmask();
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
