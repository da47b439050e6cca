//! Scalar tokens of pattern text: numbers and string bodies (with escapes), with
//! Jackson's error messages.

use super::{Token, Tokenizer, describe};

impl Tokenizer<'_> {
    pub(super) fn number(&mut self) -> Result<Token, String> {
        let start = self.pos;
        let s = self.s;
        let mut i = self.pos;
        if s.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == int_start {
            self.pos = i;
            return Err(match s.get(i) {
                Some(&c) => format!(
                    "Unexpected character ({}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value",
                    describe(char::from(c))
                ),
                None => "Unexpected end-of-input in numeric value".into(),
            });
        }
        if s[int_start] == b'0' && i - int_start > 1 {
            self.pos = i;
            return Err("Invalid numeric value: Leading zeroes not allowed".into());
        }
        if s.get(i) == Some(&b'.') {
            i += 1;
            let fs = i;
            while s.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == fs {
                self.pos = i;
                return Err(
                    "Unexpected character in numeric value: Decimal point not followed by a digit"
                        .into(),
                );
            }
        }
        if matches!(s.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(s.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let es = i;
            while s.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == es {
                self.pos = i;
                return Err("Unexpected character in numeric value: Exponent indicator not followed by a digit".into());
            }
        }
        if s.get(i).is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos = i;
            return Err(format!(
                "Unexpected character ({}) in numeric value: expected digit (0-9) or decimal point",
                describe(char::from(s[i]))
            ));
        }
        self.pos = i;
        Ok(Token::Num(
            String::from_utf8_lossy(&s[start..i]).into_owned(),
        ))
    }

    /// Reads a string body after the opening quote; unescapes.
    pub(super) fn string_body(&mut self) -> Result<String, String> {
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&b) = self.s.get(self.pos) else {
                return Err(
                    "Unexpected end-of-input: was expecting closing quote for a string value"
                        .into(),
                );
            };
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.s.get(self.pos) else {
                        return Err("Unexpected end-of-input in character escape sequence".into());
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let cp = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&cp)
                                && self.s.get(self.pos) == Some(&b'\\')
                                && self.s.get(self.pos + 1) == Some(&b'u')
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    self.pos = save;
                                    None
                                }
                            } else {
                                char::from_u32(cp)
                            };
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(
                                c.unwrap_or('\u{FFFD}').encode_utf8(&mut buf).as_bytes(),
                            );
                        }
                        other => {
                            return Err(format!(
                                "Unrecognized character escape {}",
                                describe(char::from(other))
                            ));
                        }
                    }
                }
                0..=0x1f => {
                    return Err(format!(
                        "Illegal unquoted character ({}): has to be escaped using backslash to be included in string value",
                        describe(char::from(b))
                    ));
                }
                _ => out.push(b),
            }
        }
        // The input is a &str, and escapes produce valid UTF-8.
        Ok(String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(&h) = self.s.get(self.pos) else {
                return Err("Unexpected end-of-input in character escape sequence".into());
            };
            let d = char::from(h).to_digit(16).ok_or_else(|| {
                format!(
                    "Unexpected character ({}): expected a hex-digit for character escape sequence",
                    describe(char::from(h))
                )
            })?;
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }
}
