//! Byte-level helpers for JSON strings: finding the end of a key or string body, and
//! unescaping.

use wide::u8x16;

/// The 16 bytes at `i` (the caller checked that they exist).
#[inline]
fn block16(b: &[u8], i: usize) -> u8x16 {
    let a: [u8; 16] = b
        .get(i..i + 16)
        .and_then(|s| s.try_into().ok())
        .unwrap_or([0; 16]);
    u8x16::from(a)
}

/// Position of the first `"` or `\` at or after `i`, and whether a `.` comes before it.
#[inline]
pub(super) fn find_key_end(b: &[u8], mut i: usize) -> Option<(usize, bool)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut dot = false;
    while i + 16 <= b.len() {
        let v = block16(b, i);
        let hit = (v.simd_eq(u8x16::splat(b'"')) | v.simd_eq(u8x16::splat(b'\\'))).to_bitmask();
        let dots = v.simd_eq(u8x16::splat(b'.')).to_bitmask();
        if hit != 0 {
            let first = hit.trailing_zeros();
            dot |= dots & ((1u32 << first) - 1) != 0;
            return Some((i + first as usize, dot));
        }
        dot |= dots != 0;
        i += 16;
    }
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
pub(super) fn find_quote_or_backslash(b: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while i + 16 <= b.len() {
        let v = block16(b, i);
        let hit = (v.simd_eq(u8x16::splat(b'"')) | v.simd_eq(u8x16::splat(b'\\'))).to_bitmask();
        if hit != 0 {
            return Some(i + hit.trailing_zeros() as usize);
        }
        i += 16;
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn naive_key_end(b: &[u8], i: usize) -> Option<(usize, bool)> {
        let at = b[i..].iter().position(|&c| c == b'"' || c == b'\\')? + i;
        Some((at, b[i..at].contains(&b'.')))
    }

    /// The 16-byte, 8-byte and byte-wise searches against a plain scan, for every start
    /// offset of pseudo-random texts of every length up to 70 bytes.
    #[test]
    fn searches_agree_with_a_plain_scan() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let alphabet = b"ab.\"\\x.-";
        for len in 0..70 {
            for _ in 0..20 {
                let text: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        // Mostly plain letters, so that hits land in every block position.
                        if seed.is_multiple_of(9) {
                            alphabet[(seed >> 8) as usize % alphabet.len()]
                        } else {
                            b'a' + (seed >> 16) as u8 % 26
                        }
                    })
                    .collect();
                for i in 0..=len {
                    assert_eq!(
                        find_key_end(&text, i),
                        naive_key_end(&text, i),
                        "{text:?} {i}"
                    );
                    assert_eq!(
                        find_quote_or_backslash(&text, i),
                        naive_key_end(&text, i).map(|(at, _)| at),
                        "{text:?} {i}"
                    );
                }
            }
        }
    }
}
