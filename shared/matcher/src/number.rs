//! JSON numbers as event-ruler sees them.
//!
//! A number is *comparable* (usable by `numeric` and matched by value) when its decimal
//! value is exactly the shortest representation of the nearest double; otherwise it is
//! only ever matched as text (e.g. `9007199254740993` or `37.807807921694092`).

/// A decimal as `mant × 10^exp`, `mant` without trailing zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts {
    neg: bool,
    mant: u64,
    exp: i64,
    /// Significant digits in `mant`; 0 for zero; `u32::MAX` when over 19.
    digits: u32,
}

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Splits JSON number text (grammar already checked) into its decimal parts.
pub(crate) fn parts(raw: &[u8]) -> Parts {
    scan(raw, 0).map_or(
        Parts {
            neg: false,
            mant: 0,
            exp: 0,
            digits: u32::MAX,
        },
        |(_, p)| p,
    )
}

/// Reads a JSON number starting at `start`, checking its grammar; returns the end position
/// and the parts, or `None` when it is not a valid number.
#[inline]
pub(crate) fn scan(b: &[u8], start: usize) -> Option<(usize, Parts)> {
    let mut i = start;
    let neg = b.get(i) == Some(&b'-');
    if neg {
        i += 1;
    }
    let mut mant: u64 = 0;
    let mut nd: u32; // digits from the first non-zero one
    let mut overflow = false;
    let mut exp: i64 = 0;
    let int_start = i;
    while mant < 100_000_000_000 {
        let Some(x) = eight_digits(b, i) else { break };
        mant = mant * 100_000_000 + x;
        i += 8;
    }
    nd = if mant == 0 { 0 } else { mant.ilog10() + 1 };
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        if nd < 19 {
            mant = mant * 10 + u64::from(d);
            nd += u32::from(mant != 0);
        } else if d == 0 {
            exp += 1;
        } else {
            overflow = true;
        }
        i += 1;
    }
    let int_len = i - int_start;
    if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
        return None;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while mant < 100_000_000_000 {
            let Some(x) = eight_digits(b, i) else { break };
            mant = mant * 100_000_000 + x;
            exp -= 8;
            i += 8;
        }
        nd = if mant == 0 { 0 } else { mant.ilog10() + 1 };
        while let Some(&c) = b.get(i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if nd < 19 {
                mant = mant * 10 + u64::from(d);
                nd += u32::from(mant != 0);
                exp -= 1;
            } else if d != 0 {
                overflow = true;
            }
            i += 1;
        }
        if i == frac_start {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let es = i;
        let mut e: i64 = 0;
        while let Some(&c) = b.get(i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            e = (e * 10 + i64::from(d)).min(1_000_000);
            i += 1;
        }
        if i == es {
            return None;
        }
        exp += if eneg { -e } else { e };
    }
    if mant == 0 {
        return Some((
            i,
            Parts {
                neg: false,
                mant: 0,
                exp: 0,
                digits: if overflow { u32::MAX } else { 0 },
            },
        ));
    }
    while mant.is_multiple_of(10) {
        mant /= 10;
        exp += 1;
        nd -= 1;
    }
    let digits = if overflow { u32::MAX } else { nd };
    Some((
        i,
        Parts {
            neg,
            mant,
            exp,
            digits,
        },
    ))
}

/// The value of eight ASCII digits at `i`, if there are eight.
#[inline]
fn eight_digits(b: &[u8], i: usize) -> Option<u64> {
    let chunk: [u8; 8] = b.get(i..i + 8)?.try_into().ok()?;
    let v = u64::from_le_bytes(chunk);
    let all_digits = (v & 0xF0F0_F0F0_F0F0_F0F0) == 0x3030_3030_3030_3030
        && (v.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) == 0x3030_3030_3030_3030;
    if !all_digits {
        return None;
    }
    let mut v = v - 0x3030_3030_3030_3030;
    v = (v * 10) + (v >> 8);
    v = ((v & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32))
        + ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    Some(v)
}

/// The nearest double (correctly rounded).
pub(crate) fn to_f64(p: &Parts, raw: &[u8]) -> Option<f64> {
    if p.digits == 0 {
        return Some(0.0);
    }
    if p.digits <= 15 && (-22..=22).contains(&p.exp) {
        // Both operands exact: one correctly rounded operation (Clinger's fast path).
        #[allow(clippy::cast_precision_loss)]
        let m = p.mant as f64;
        let k = POW10[p.exp.unsigned_abs() as usize];
        let v = if p.exp >= 0 { m * k } else { m / k };
        return Some(if p.neg { -v } else { v });
    }
    fast_float2::parse::<f64, _>(raw).ok()
}

/// Whether the decimal is exactly the shortest representation of its double `v`.
pub(crate) fn parts_comparable(p: &Parts, v: f64) -> bool {
    exactly_shortest(None, p, v)
}

/// [`parts_comparable`] with the number's text at hand: text identical to the shortest
/// form is decided by one comparison.
#[inline]
pub(crate) fn text_comparable(raw: &[u8], p: &Parts, v: f64) -> bool {
    exactly_shortest(Some(raw), p, v)
}

#[inline]
fn exactly_shortest(raw: Option<&[u8]>, p: &Parts, v: f64) -> bool {
    if !v.is_finite() {
        return false;
    }
    if p.digits == 0 {
        return true;
    }
    if p.digits > 17 {
        return false;
    }
    let magnitude = p.exp + i64::from(p.digits);
    // Up to 15 significant digits in the normal range always round-trip uniquely.
    if p.digits <= 15 && magnitude > -290 && magnitude < 290 {
        return true;
    }
    let mut buf = ryu::Buffer::new();
    let shortest = buf.format_finite(v).as_bytes();
    raw == Some(shortest) || parts(shortest) == *p
}

/// Parses JSON number text (already grammar-checked) to the nearest double.
pub(crate) fn parse_f64(raw: &[u8]) -> Option<f64> {
    to_f64(&parts(raw), raw)
}

/// Whether `raw` (JSON number text whose nearest double is `v`) is exactly that double's
/// shortest representation, i.e. whether event-ruler can compare it as a number.
pub(crate) fn is_comparable(raw: &[u8], v: f64) -> bool {
    parts_comparable(&parts(raw), v)
}

/// How a number literal is matched: by value when comparable, else by its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum NumKey {
    /// Bits of the double (−0 normalized to +0).
    Value(u64),
    /// The literal text.
    Text(Box<[u8]>),
}

/// Bits used as the hash key of a comparable value.
pub(crate) fn value_bits(v: f64) -> u64 {
    if v == 0.0 { 0 } else { v.to_bits() }
}

/// Classifies number text into a matching key.
pub(crate) fn num_key(raw: &[u8]) -> NumKey {
    match parse_f64(raw) {
        Some(v) if is_comparable(raw, v) => NumKey::Value(value_bits(v)),
        _ => NumKey::Text(raw.into()),
    }
}

/// The comparable value of number text, if it has one.
pub(crate) fn comparable(raw: &[u8]) -> Option<f64> {
    parse_f64(raw).filter(|v| is_comparable(raw, *v))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn c(s: &str) -> bool {
        comparable(s.as_bytes()).is_some()
    }

    #[test]
    fn comparability() {
        for ok in [
            "0",
            "-0",
            "-0.0",
            "5",
            "5.0",
            "3.0e2",
            "300",
            "0.1",
            "1e300",
            "1e+301",
            "-122.42916360922355",
            "37.729900216217324",
            "0.30000000000000004",
            "9007199254740992",
            "1E-7",
            "100000000000000000000",
            "-7.5",
        ] {
            assert!(c(ok), "{ok} should be comparable");
        }
        for bad in [
            "9007199254740993",
            "37.807807921694092",
            "12345678901234567890",
            "1e309",
            "0.1000000000000000000001",
        ] {
            assert!(!c(bad), "{bad} should not be comparable");
        }
    }

    #[test]
    fn keys() {
        assert_eq!(num_key(b"300"), num_key(b"3.0e2"));
        assert_eq!(num_key(b"0"), num_key(b"-0.0"));
        assert_eq!(
            num_key(b"12345678901234567890"),
            NumKey::Text(b"12345678901234567890".to_vec().into())
        );
        assert_ne!(
            num_key(b"37.807807921694092"),
            num_key(b"37.80780792169409")
        );
    }
}

#[cfg(test)]
mod scan_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn values_match_std() {
        for s in [
            "0",
            "-0",
            "1",
            "-1",
            "12345678",
            "123456789",
            "1234567890123456789",
            "12345678901234567890",
            "0.000000001234",
            "-122.42916360922355",
            "37.729900216217324",
            "1e22",
            "1e23",
            "1.5e-300",
            "9007199254740993",
            "100000000000000000000",
            "0.1000000000000000055511151231257827",
            "123.456e-5",
            "4e-320",
            "1.7976931348623157e308",
        ] {
            let p = parts(s.as_bytes());
            let want: f64 = s.parse().unwrap();
            assert_eq!(to_f64(&p, s.as_bytes()), Some(want), "{s}");
        }
    }

    #[test]
    fn grammar() {
        for bad in ["", "-", "01", "1.", ".5", "1e", "1e+", "--1", "-a"] {
            assert!(
                scan(bad.as_bytes(), 0).is_none(),
                "{bad:?} should be rejected"
            );
        }
        assert_eq!(scan(b"12,", 0).map(|(e, _)| e), Some(2));
        assert_eq!(scan(b"-1.5e+3}", 0).map(|(e, _)| e), Some(7));
    }
}
