//! `wildcard` patterns: `*` matches any run of characters (also none), `\*` is a literal
//! star and `\\` a literal backslash; other escapes and `**` are errors.

use memchr::memmem;

/// A compiled wildcard: literal pieces separated by stars.
#[derive(Debug, Clone)]
pub(crate) struct Wildcard {
    /// Literal pieces; there is a star between each two.
    pieces: Vec<Vec<u8>>,
    /// The first and last byte a matching text must have, when the pattern fixes them.
    first_byte: Option<u8>,
    last_byte: Option<u8>,
}

/// Parses a wildcard with event-ruler's messages (positions count the opening quote,
/// as event-ruler's parser sees `"` + value).
pub(crate) fn parse_wildcard(text: &str) -> Result<Wildcard, String> {
    let b = text.as_bytes();
    let mut pieces = vec![Vec::new()];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'*' => {
                if b.get(i + 1) == Some(&b'*') {
                    return Err(format!("Consecutive wildcard characters at pos {}", i + 1));
                }
                pieces.push(Vec::new());
            }
            b'\\' => match b.get(i + 1) {
                Some(&n @ (b'*' | b'\\')) => {
                    if let Some(last) = pieces.last_mut() {
                        last.push(n);
                    }
                    i += 1;
                }
                _ => return Err(format!("Invalid escape character at pos {}", i + 1)),
            },
            c => {
                if let Some(last) = pieces.last_mut() {
                    last.push(c);
                }
            }
        }
        i += 1;
    }
    let first_byte = pieces.first().and_then(|p| p.first()).copied();
    let last_byte = pieces.last().and_then(|p| p.last()).copied();
    Ok(Wildcard {
        pieces,
        first_byte,
        last_byte,
    })
}

impl Wildcard {
    /// Whether `s` matches; linear in `s` for a fixed pattern.
    #[inline]
    pub(crate) fn matches(&self, s: &[u8]) -> bool {
        // Most texts fail on their first or last byte: check those before the pieces.
        if self.first_byte.is_some_and(|b| s.first() != Some(&b))
            || self.last_byte.is_some_and(|b| s.last() != Some(&b))
        {
            return false;
        }
        self.matches_pieces(s)
    }

    fn matches_pieces(&self, s: &[u8]) -> bool {
        let n = self.pieces.len();
        let first = &self.pieces[0];
        if n == 1 {
            return s == first.as_slice();
        }
        let last = &self.pieces[n - 1];
        if s.len() < first.len() + last.len() || !s.starts_with(first) || !s.ends_with(last) {
            return false;
        }
        let mut pos = first.len();
        let end = s.len() - last.len();
        for piece in &self.pieces[1..n - 1] {
            if piece.is_empty() {
                continue;
            }
            match find(&s[pos..end], piece) {
                Some(at) => pos += at + piece.len(),
                None => return false,
            }
        }
        true
    }

    /// Number of NFA positions (literal bytes and stars) in the pattern.
    fn positions(&self) -> Vec<Option<u8>> {
        let mut v = Vec::new();
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                v.push(None);
            }
            v.extend(piece.iter().map(|&b| Some(b)));
        }
        v
    }
}

/// First occurrence of `needle` (non-empty) in `hay`; naive for short inputs.
#[inline]
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if hay.len() < 64 {
        let first = needle[0];
        let last_start = hay.len().checked_sub(needle.len())?;
        (0..=last_start).find(|&i| hay[i] == first && &hay[i..i + needle.len()] == needle)
    } else {
        memmem::find(hay, needle)
    }
}

/// The complexity score of the wildcards of one field of one rule: the largest number of
/// NFA states that can be active at once over all inputs (event-ruler's
/// `MachineComplexityEvaluator` counts the same thing on its byte machine).
/// Evaluation stops at `cap`.
pub(crate) fn complexity(wildcards: &[&Wildcard], cap: usize) -> usize {
    // Each pattern becomes a list of tokens; a state is (pattern, index).
    let pats: Vec<Vec<Option<u8>>> = wildcards.iter().map(|w| w.positions()).collect();
    let mut alphabet: Vec<u8> = pats.iter().flatten().filter_map(|t| *t).collect();
    alphabet.sort_unstable();
    alphabet.dedup();
    alphabet.push(0); // a byte no pattern names (patterns never contain NUL here)

    let closure = |set: &mut Vec<(usize, usize)>| {
        let mut i = 0;
        while i < set.len() {
            let (p, k) = set[i];
            if pats[p].get(k) == Some(&None) && !set.contains(&(p, k + 1)) {
                set.push((p, k + 1));
            }
            i += 1;
        }
        set.sort_unstable();
    };
    let mut start: Vec<(usize, usize)> = (0..pats.len()).map(|p| (p, 0)).collect();
    closure(&mut start);
    let mut seen: std::collections::HashSet<Vec<(usize, usize)>> = std::collections::HashSet::new();
    let mut queue = std::collections::VecDeque::new();
    seen.insert(start.clone());
    queue.push_back(start);
    let mut max = 0;
    let mut explored = 0usize;
    while let Some(set) = queue.pop_front() {
        explored += 1;
        if explored > 20_000 {
            return cap;
        }
        for &byte in &alphabet {
            let mut next = Vec::new();
            for &(p, k) in &set {
                match pats[p].get(k) {
                    Some(None) if !next.contains(&(p, k)) => {
                        next.push((p, k));
                    }
                    Some(Some(b)) if *b == byte && !next.contains(&(p, k + 1)) => {
                        next.push((p, k + 1));
                    }
                    _ => {}
                }
            }
            closure(&mut next);
            if next.is_empty() {
                continue;
            }
            // Count only states that can still lead to a match (all of them can: from
            // any position the rest of the pattern is reachable).
            max = max.max(next.len());
            if max >= cap {
                return cap;
            }
            if seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
    }
    max
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// The first/last-byte check never rejects a text the pieces accept: every pattern over
    /// a small alphabet against every text up to 5 bytes.
    #[test]
    fn byte_check_agrees_with_the_pieces() {
        let alphabet = [b'a', b'b', b'*'];
        let texts: Vec<Vec<u8>> = (0..=5u32)
            .flat_map(|len| {
                (0..2usize.pow(len)).map(move |k| {
                    (0..len)
                        .map(|i| if k >> i & 1 == 1 { b'a' } else { b'b' })
                        .collect()
                })
            })
            .collect();
        for len in 0..=4u32 {
            for k in 0..3usize.pow(len) {
                let pattern: Vec<u8> = (0..len).map(|i| alphabet[k / 3usize.pow(i) % 3]).collect();
                let Ok(w) = parse_wildcard(std::str::from_utf8(&pattern).unwrap()) else {
                    continue;
                };
                for t in &texts {
                    assert_eq!(w.matches(t), w.matches_pieces(t), "{pattern:?} {t:?}");
                }
            }
        }
    }

    fn m(p: &str, s: &str) -> bool {
        parse_wildcard(p).unwrap().matches(s.as_bytes())
    }

    #[test]
    fn matching() {
        assert!(m("a*", "a"));
        assert!(m("*", ""));
        assert!(m("dir/*.png", "dir/x.png"));
        assert!(!m("dir/*.png", "dir/x.jpg"));
        assert!(m("2*0*1*7", "2607117"));
        assert!(m("a*a", "aa"));
        assert!(!m("a*a", "a"));
        assert!(m(r"a\*b", "a*b"));
        assert!(!m(r"a\*b", "axxb"));
        assert!(m(r"a\\b", r"a\b"));
        assert!(m("*x*y*", "axbxcy"));
        assert!(!m("*x*y*", "ayx"));
        assert!(m("abc", "abc"));
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse_wildcard("a**b").unwrap_err(),
            "Consecutive wildcard characters at pos 2"
        );
        assert_eq!(
            parse_wildcard(r"a\b").unwrap_err(),
            "Invalid escape character at pos 2"
        );
        assert_eq!(
            parse_wildcard("a\\").unwrap_err(),
            "Invalid escape character at pos 2"
        );
        assert_eq!(
            parse_wildcard("arn:aws:events:us-east-1:**:event-bus/*").unwrap_err(),
            "Consecutive wildcard characters at pos 26"
        );
    }

    #[test]
    fn complexity_scores() {
        let c = |p: &str| complexity(&[&parse_wildcard(p).unwrap()], 100);
        // AWS rejected this one and accepted the others.
        assert_eq!(c("*:*:*:*:*:event-bus/*"), 13);
        assert_eq!(c("/Users/*/dir/dir/dir/dir/dir/doc.txt"), 8);
        assert_eq!(c("arn:aws:events:us-east-1:*:event-bus/*"), 5);
        assert_eq!(c("*/bin/*.jar"), 5);
        assert_eq!(c("*"), 2);
        // Two wildcards on one field add up.
        let a = parse_wildcard("*a*").unwrap();
        let b = parse_wildcard("*b*").unwrap();
        assert!(complexity(&[&a, &b], 100) > complexity(&[&a], 100));
    }
}
