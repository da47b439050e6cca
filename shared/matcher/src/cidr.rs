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

/// An inclusive address range of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpRange {
    pub(crate) v6: bool,
    pub(crate) lo: u128,
    pub(crate) hi: u128,
}

impl IpRange {
    /// The range holding just `ip`.
    pub(crate) fn single(ip: Ip) -> Self {
        match ip {
            Ip::V4(v) => IpRange {
                v6: false,
                lo: u128::from(v),
                hi: u128::from(v),
            },
            Ip::V6(v) => IpRange {
                v6: true,
                lo: v,
                hi: v,
            },
        }
    }

    /// Whether the address is inside.
    pub(crate) fn contains(&self, ip: Ip) -> bool {
        match ip {
            Ip::V4(v) => !self.v6 && (self.lo..=self.hi).contains(&u128::from(v)),
            Ip::V6(v) => self.v6 && (self.lo..=self.hi).contains(&v),
        }
    }
}

/// Parses a `cidr` operand with event-ruler's messages.
///
/// The low end is the address as written (host bits are kept, as event-ruler does);
/// the high end has all host bits set.
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
                lo: u128::from(v),
                hi: u128::from(v) | host,
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
                lo: v,
                hi: v | host,
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
            !r.contains(Ip::V4(0x0a00_0001)),
            "host bits are kept in the low end"
        );
        assert!(parse_cidr("0.0.0.0/0").unwrap().contains(Ip::V4(u32::MAX)));
        let v6 = parse_cidr("2001:db8::/32").unwrap();
        assert!(v6.contains(parse_ip(b"2001:DB8::1").unwrap()));
        assert!(!v6.contains(Ip::V4(1)));
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
