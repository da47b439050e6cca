//! `equals-ignore-case` as event-ruler does it: each UTF-16 unit of the pattern matches
//! either its Java lower-case or its upper-case form (both computed on the unit alone).
//!
//! So `É`/`é` match, `ß` does not match `SS`, and `Σ` does not match the final sigma `ς`
//! (lower-case of `Σ` is `σ`). A supplementary character is two UTF-16 units that Java
//! encodes as `?` each, so such a character in a pattern only matches `??`.

/// One pattern unit: the byte strings it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Unit {
    lower: Box<[u8]>,
    upper: Box<[u8]>,
}

/// A compiled case-insensitive string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Folded {
    units: Vec<Unit>,
    /// Every unit's two forms have the same byte length (matching is deterministic).
    simple: bool,
    /// For an ASCII-only pattern: the lower- and upper-case bytes.
    ascii: Option<AsciiCases>,
}

/// Lower- and upper-case bytes of an ASCII pattern.
type AsciiCases = (Box<[u8]>, Box<[u8]>);

impl Folded {
    pub(crate) fn new(pattern: &str) -> Self {
        let mut units = Vec::new();
        for c in pattern.chars() {
            if u32::from(c) > 0xFFFF {
                for _ in 0..2 {
                    units.push(Unit {
                        lower: Box::from(&b"?"[..]),
                        upper: Box::from(&b"?"[..]),
                    });
                }
                continue;
            }
            let lower: String = c.to_lowercase().collect();
            let upper: String = c.to_uppercase().collect();
            units.push(Unit {
                lower: lower.into_bytes().into_boxed_slice(),
                upper: upper.into_bytes().into_boxed_slice(),
            });
        }
        let simple = units.iter().all(|u| u.lower.len() == u.upper.len());
        let ascii = pattern.is_ascii().then(|| {
            (
                pattern.to_ascii_lowercase().into_bytes().into_boxed_slice(),
                pattern.to_ascii_uppercase().into_bytes().into_boxed_slice(),
            )
        });
        Folded {
            units,
            simple,
            ascii,
        }
    }

    /// Positions in `s` reachable after matching all units starting at `start`
    /// (forward), or ending at `end` (backward).
    fn run(&self, s: &[u8], forward: bool, out: &mut Vec<usize>) {
        out.clear();
        out.push(if forward { 0 } else { s.len() });
        let mut next = Vec::new();
        let units: Box<dyn Iterator<Item = &Unit>> = if forward {
            Box::new(self.units.iter())
        } else {
            Box::new(self.units.iter().rev())
        };
        for u in units {
            next.clear();
            for &p in out.iter() {
                for form in [&u.lower, &u.upper] {
                    let ok = if forward {
                        s.get(p..).is_some_and(|r| r.starts_with(form))
                    } else {
                        s.get(..p).is_some_and(|r| r.ends_with(form))
                    };
                    if ok {
                        let q = if forward {
                            p + form.len()
                        } else {
                            p - form.len()
                        };
                        if !next.contains(&q) {
                            next.push(q);
                        }
                    }
                }
            }
            std::mem::swap(out, &mut next);
            if out.is_empty() {
                return;
            }
        }
    }

    /// ASCII pattern against `s[at..at + len]`.
    #[inline]
    fn ascii_at(lo: &[u8], up: &[u8], s: &[u8], at: usize) -> bool {
        s.get(at..at + lo.len()).is_some_and(|part| {
            part.iter()
                .zip(lo.iter().zip(up.iter()))
                .all(|(c, (l, u))| c == l || c == u)
        })
    }

    /// Fast deterministic check when every unit's forms have one length.
    fn simple_prefix(&self, s: &[u8]) -> Option<usize> {
        let mut p = 0;
        for u in &self.units {
            let r = s.get(p..)?;
            if r.starts_with(&u.lower) || r.starts_with(&u.upper) {
                p += u.lower.len();
            } else {
                return None;
            }
        }
        Some(p)
    }

    fn simple_suffix(&self, s: &[u8]) -> bool {
        let mut p = s.len();
        for u in self.units.iter().rev() {
            let Some(r) = s.get(..p) else { return false };
            if r.ends_with(&u.lower) || r.ends_with(&u.upper) {
                p -= u.lower.len();
            } else {
                return false;
            }
        }
        true
    }

    /// The whole string matches.
    pub(crate) fn equals(&self, s: &[u8]) -> bool {
        if let Some((lo, up)) = &self.ascii {
            return s.len() == lo.len() && Self::ascii_at(lo, up, s, 0);
        }
        if self.simple {
            return self.simple_prefix(s) == Some(s.len());
        }
        let mut v = Vec::new();
        self.run(s, true, &mut v);
        v.contains(&s.len())
    }

    /// The string starts with a match.
    pub(crate) fn is_prefix_of(&self, s: &[u8]) -> bool {
        if let Some((lo, up)) = &self.ascii {
            return Self::ascii_at(lo, up, s, 0);
        }
        if self.simple {
            return self.simple_prefix(s).is_some();
        }
        let mut v = Vec::new();
        self.run(s, true, &mut v);
        !v.is_empty()
    }

    /// The string ends with a match.
    pub(crate) fn is_suffix_of(&self, s: &[u8]) -> bool {
        if let Some((lo, up)) = &self.ascii {
            return s.len() >= lo.len() && Self::ascii_at(lo, up, s, s.len() - lo.len());
        }
        if self.simple {
            return self.simple_suffix(s);
        }
        let mut v = Vec::new();
        self.run(s, false, &mut v);
        !v.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn java_semantics() {
        assert!(Folded::new("ÉCOLE").equals("école".as_bytes()));
        assert!(Folded::new("alice").equals(b"ALICE"));
        assert!(Folded::new("aLiCe").equals(b"AlIcE"));
        assert!(!Folded::new("STRASSE").equals("straße".as_bytes()));
        assert!(!Folded::new("ΣΑΣ").equals("σας".as_bytes()));
        assert!(Folded::new("ÉC").is_prefix_of("école".as_bytes()));
        assert!(Folded::new("PNG").is_suffix_of(b"x.png"));
        assert!(!Folded::new("PNG").is_suffix_of(b"png.x"));
        assert!(Folded::new("İ").equals("i\u{307}".as_bytes()));
        assert!(Folded::new("😀").equals(b"??"));
        assert!(Folded::new("").equals(b""));
        assert!(!Folded::new("a").equals(b""));
    }
}
