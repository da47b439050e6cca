//! IP addresses and CIDR blocks, as event-ruler parses them.
//!
//! A string is an IP candidate when it looks like `N.N.N.N` (decimal parts, leading
//! zeros allowed, each ≤ 255) or consists of hex digits and colons with at least one
//! colon (IPv6; IPv4-mapped addresses count as IPv4, as in Java's `InetAddress`).

use std::net::Ipv6Addr;

/// A parsed address: IPv4 in the low 32 bits, or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ip {
    V4(u32),
    V6(u128),
}

fn looks_v4(s: &[u8]) -> bool {
    let mut parts = 0;
    for part in s.split(|&b| b == b'.') {
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return false;
        }
        parts += 1;
    }
    parts == 4
}

fn looks_v6(s: &[u8]) -> bool {
    s.contains(&b':') && s.iter().all(|b| b.is_ascii_hexdigit() || *b == b':')
}

/// Whether event-ruler's IP regexes accept the text (before trying to parse it).
pub(crate) fn looks_like_ip(s: &[u8]) -> bool {
    looks_v4(s) || looks_v6(s)
}

/// Parses an address; `None` when it is not one.
pub(crate) fn parse_ip(s: &[u8]) -> Option<Ip> {
    if looks_v4(s) {
        let mut v: u32 = 0;
        for part in s.split(|&b| b == b'.') {
            let mut n: u32 = 0;
            for &d in part {
                n = n.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
            }
            if n > 255 {
                return None;
            }
            v = (v << 8) | n;
        }
        return Some(Ip::V4(v));
    }
    if looks_v6(s) {
        let text = std::str::from_utf8(s).ok()?;
        let addr: Ipv6Addr = text.parse().ok()?;
        let bits = u128::from(addr);
        if bits >> 32 == 0xffff {
            // Java converts IPv4-mapped addresses to Inet4Address.
            #[allow(clippy::cast_possible_truncation)]
            return Some(Ip::V4(bits as u32));
        }
        return Some(Ip::V6(bits));
    }
    None
}

/// An address range as event-ruler matches it: on text, not on addresses.
///
/// event-ruler turns a range into a pair of upper-case hex strings of 8 (IPv4) or 32 (IPv6)
/// digits, `lo` and `hi`, and matches it with a byte automaton that decides as soon as the
/// digits read so far put the value strictly inside, or equal to a closed end. So a value
/// matches when, reading its characters one by one, it leaves the common prefix of `lo`
/// and `hi` between them, or follows `lo` and then goes above it, or follows `hi` and then
/// goes below it (or ends exactly on a closed end). A value may be longer or shorter than
/// the range: an IPv6 address matches an IPv4 range when its first 32 bits decide it, and
/// `10.0.0.1` (`0A000001`) is inside `a00::/16`. Two kinds of value reach the automaton:
///
/// * a string that parses as an IP address, as the hex digits of the address;
/// * a number, as its JSON text, when the field's value list has no numeric test (or the
///   number is not comparable, so event-ruler falls back to text): digits and `E` are hex
///   digits, so `12345678` and `1234567` are inside `16.0.0.0/4` (`10000000`–`1FFFFFFF`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpRange {
    pub(crate) v6: bool,
    pub(crate) lo: u128,
    pub(crate) hi: u128,
    /// `lo` itself is excluded.
    pub(crate) lo_open: bool,
    /// `hi` itself is excluded.
    pub(crate) hi_open: bool,
    /// The field's value list also has a numeric test (numeric literal, `numeric`, numeric
    /// `anything-but`): comparable numbers are then matched as numbers only, never as text.
    pub(crate) numeric_neighbours: bool,
}

/// The value of an upper-case hex digit (event-ruler's digits); `None` for anything else.
fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl IpRange {
    /// The range holding just `ip`, encoded as event-ruler encodes an IP string literal: the
    /// last digit's neighbour as an open end.
    pub(crate) fn single(ip: Ip) -> Self {
        let (v6, v) = match ip {
            Ip::V4(v) => (false, u128::from(v)),
            Ip::V6(v) => (true, v),
        };
        let last_is_f = v & 0xF == 0xF;
        IpRange {
            v6,
            lo: if last_is_f { v - 1 } else { v },
            hi: if last_is_f { v } else { v + 1 },
            lo_open: last_is_f,
            hi_open: !last_is_f,
            numeric_neighbours: false,
        }
    }

    fn digits(&self) -> usize {
        if self.v6 { 32 } else { 8 }
    }

    /// Digit `k` (from the left) of `x`.
    fn digit(&self, x: u128, k: usize) -> u8 {
        #[allow(clippy::cast_possible_truncation)]
        let d = (x >> (4 * (self.digits() - 1 - k))) as u8 & 0xF;
        d
    }

    /// Runs event-ruler's range automaton over `text` (its characters in order; `None`
    /// stands for a character that is not an upper-case hex digit).
    fn accepts(&self, mut text: impl Iterator<Item = Option<u8>>) -> bool {
        let n = self.digits();
        let Some(fork) = (0..n).find(|&k| self.digit(self.lo, k) != self.digit(self.hi, k)) else {
            return false;
        };
        for k in 0..fork {
            if text.next().flatten() != Some(self.digit(self.lo, k)) {
                return false;
            }
        }
        let Some(c) = text.next().flatten() else {
            return false;
        };
        let (lo_f, hi_f) = (self.digit(self.lo, fork), self.digit(self.hi, fork));
        if lo_f < c && c < hi_f {
            return true;
        }
        let along_lo = c == lo_f;
        if !along_lo && c != hi_f {
            return false;
        }
        if fork == n - 1 {
            return if along_lo {
                !self.lo_open
            } else {
                !self.hi_open
            };
        }
        let bound = if along_lo { self.lo } else { self.hi };
        for k in fork + 1..n {
            let Some(d) = text.next().flatten() else {
                return false;
            };
            let b = self.digit(bound, k);
            if d == b {
                continue;
            }
            return if along_lo { d > b } else { d < b };
        }
        if along_lo {
            !self.lo_open
        } else {
            !self.hi_open
        }
    }

    /// Whether an address (a string leaf that parses as one) matches.
    pub(crate) fn contains(&self, ip: Ip) -> bool {
        let (n, v) = match ip {
            Ip::V4(v) => (8, u128::from(v)),
            Ip::V6(v) => (32, v),
        };
        self.accepts((0..n).map(|k| {
            #[allow(clippy::cast_possible_truncation)]
            let d = (v >> (4 * (n - 1 - k))) as u8 & 0xF;
            Some(d)
        }))
    }

    /// Whether a number leaf, read as its JSON text, matches.
    pub(crate) fn contains_number_text(&self, raw: &[u8]) -> bool {
        self.accepts(raw.iter().map(|&c| hex_digit(c)))
    }
}

/// Parses a `cidr` operand with event-ruler's messages.
///
/// The low end has all host bits cleared and the high end has them all set (event-ruler's
/// `CIDR.computeBottomBytes` / `computeTopBytes`): `10.1.2.3/8` is `10.0.0.0`–`10.255.255.255`.
pub(crate) fn parse_cidr(text: &str) -> Result<IpRange, String> {
    // Java's String.split drops trailing empty strings.
    let mut parts: Vec<&str> = text.split('/').collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() {
        parts.clear();
    }
    if parts.len() != 2 {
        return Err("Malformed CIDR, one '/' required".into());
    }
    let mask: i64 = parse_java_int(parts[1])
        .ok_or_else(|| "Malformed CIDR, mask bits must be an integer".to_string())?;
    if mask < 0 {
        return Err("Malformed CIDR, mask bits must not be negative".into());
    }
    let ip_text = parts[0];
    if !looks_like_ip(ip_text.as_bytes()) {
        return Err(format!("Nonstandard IP address: {ip_text}"));
    }
    let ip =
        parse_ip(ip_text.as_bytes()).ok_or_else(|| format!("Invalid IP address: {ip_text}"))?;
    match ip {
        Ip::V4(v) => {
            if mask > 31 {
                return Err("IPv4 mask bits must be < 32".into());
            }
            let host = (1u128 << (32 - mask)) - 1;
            Ok(IpRange {
                v6: false,
                lo: u128::from(v) & !host,
                hi: u128::from(v) | host,
                lo_open: false,
                hi_open: false,
                numeric_neighbours: false,
            })
        }
        Ip::V6(v) => {
            if mask > 127 {
                return Err("IPv6 mask bits must be < 128".into());
            }
            let host = if mask == 0 {
                u128::MAX
            } else {
                (1u128 << (128 - mask)) - 1
            };
            Ok(IpRange {
                v6: true,
                lo: v & !host,
                hi: v | host,
                lo_open: false,
                hi_open: false,
                numeric_neighbours: false,
            })
        }
    }
}

/// Java's `Integer.parseInt`: optional sign, decimal digits, 32-bit range.
fn parse_java_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = s.parse().ok()?;
    (i64::from(i32::MIN)..=i64::from(i32::MAX))
        .contains(&v)
        .then_some(v)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn parse_addresses() {
        assert_eq!(parse_ip(b"010.1.2.3"), Some(Ip::V4(0x0a01_0203)));
        assert_eq!(parse_ip(b"256.1.2.3"), None);
        assert_eq!(parse_ip(b"hello"), None);
        assert_eq!(parse_ip(b"1.2.3"), None);
        assert!(matches!(parse_ip(b"2001:DB8::1"), Some(Ip::V6(_))));
        assert_eq!(parse_ip(b"::ffff:a01:203"), Some(Ip::V4(0x0a01_0203)));
    }

    #[test]
    fn cidr_ranges_and_errors() {
        let r = parse_cidr("10.1.2.3/8").unwrap();
        assert!(r.contains(Ip::V4(0x0a09_0909)));
        assert!(
            r.contains(Ip::V4(0x0a00_0001)),
            "host bits are cleared in the low end"
        );
        assert!(!r.contains(Ip::V4(0x0b00_0000)));
        assert!(parse_cidr("0.0.0.0/0").unwrap().contains(Ip::V4(u32::MAX)));
        let v6 = parse_cidr("2001:db8::/32").unwrap();
        assert!(v6.contains(parse_ip(b"2001:DB8::1").unwrap()));
        assert!(!v6.contains(Ip::V4(1)));
        // event-ruler's automaton decides on the leading digits.
        let v4 = parse_cidr("10.0.0.0/8").unwrap();
        assert!(v4.contains(parse_ip(b"a00:1::").unwrap()));
        assert!(!v4.contains(parse_ip(b"b00:1::").unwrap()));
        assert!(
            parse_cidr("a00::/16")
                .unwrap()
                .contains(Ip::V4(0x0a00_0001))
        );
        let high = parse_cidr("16.0.0.0/4").unwrap();
        assert!(high.contains_number_text(b"12345678"));
        assert!(high.contains_number_text(b"1234567"));
        assert!(!high.contains_number_text(b"1"));
        assert!(!high.contains_number_text(b"-12345678"));
        assert!(!high.contains_number_text(b"22345678"));
        let one = IpRange::single(Ip::V4(0x0a00_0001));
        assert!(one.contains(Ip::V4(0x0a00_0001)));
        assert!(!one.contains(Ip::V4(0x0a00_0002)));
        let one_f = IpRange::single(Ip::V4(0x0a00_000f));
        assert!(one_f.contains(Ip::V4(0x0a00_000f)));
        assert!(!one_f.contains(Ip::V4(0x0a00_000e)));
        assert_eq!(
            parse_cidr("bad-filter").unwrap_err(),
            "Malformed CIDR, one '/' required"
        );
        assert_eq!(
            parse_cidr("10.0.0.0/").unwrap_err(),
            "Malformed CIDR, one '/' required"
        );
        assert_eq!(
            parse_cidr("bad-/64filter").unwrap_err(),
            "Malformed CIDR, mask bits must be an integer"
        );
        assert_eq!(
            parse_cidr("xx.11.xx/8").unwrap_err(),
            "Nonstandard IP address: xx.11.xx"
        );
        assert_eq!(
            parse_cidr("10.0.0.1/32").unwrap_err(),
            "IPv4 mask bits must be < 32"
        );
        assert_eq!(
            parse_cidr("::1/128").unwrap_err(),
            "IPv6 mask bits must be < 128"
        );
        assert_eq!(
            parse_cidr("10.0.0.0/-1").unwrap_err(),
            "Malformed CIDR, mask bits must not be negative"
        );
        assert_eq!(
            parse_cidr("300.0.0.0/8").unwrap_err(),
            "Invalid IP address: 300.0.0.0"
        );
    }
}
