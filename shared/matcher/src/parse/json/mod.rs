//! A small streaming JSON tokenizer for pattern text.
//!
//! event-ruler compiles patterns with Jackson's streaming parser, so semantic errors are
//! reported in document order, before any syntax error further on. This tokenizer gives
//! the compiler the same token stream; syntax errors carry Jackson-style messages.

mod scalars;

/// One JSON token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    StartObject,
    EndObject,
    StartArray,
    EndArray,
    /// An object key (unescaped).
    FieldName(String),
    /// A string value (unescaped).
    Str(String),
    /// A number, as written.
    Num(String),
    True,
    False,
    Null,
}

impl Token {
    /// Jackson's `getText()` for this token.
    pub(crate) fn text(&self) -> String {
        match self {
            Token::StartObject => "{".into(),
            Token::EndObject => "}".into(),
            Token::StartArray => "[".into(),
            Token::EndArray => "]".into(),
            Token::FieldName(s) | Token::Str(s) | Token::Num(s) => s.clone(),
            Token::True => "true".into(),
            Token::False => "false".into(),
            Token::Null => "null".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ctx {
    /// In an object, expecting a key or `}` (first = no key yet).
    ObjectKey { first: bool },
    /// In an object after a value, expecting `,` or `}`.
    ObjectNext,
    /// In an array, expecting a value or `]` (first = no value yet).
    ArrayValue { first: bool },
    /// In an array after a value, expecting `,` or `]`.
    ArrayNext,
}

/// Pull tokenizer over pattern text.
pub(crate) struct Tokenizer<'a> {
    s: &'a [u8],
    pos: usize,
    stack: Vec<Ctx>,
    /// Set after a field name: the next token is the value.
    after_name: bool,
    done: bool,
}

const EXPECTING_VALUE: &str =
    "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

impl<'a> Tokenizer<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Tokenizer {
            s: text.as_bytes(),
            pos: 0,
            stack: Vec::new(),
            after_name: false,
            done: false,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.s.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn unexpected(&self, what: &str) -> String {
        match self.char_at(self.pos) {
            Some(c) => format!("Unexpected character ({}): {what}", describe(c)),
            None => format!("Unexpected end-of-input: {what}"),
        }
    }

    fn char_at(&self, pos: usize) -> Option<char> {
        let rest = self.s.get(pos..)?;
        let len = rest.len().min(4);
        (1..=len)
            .find_map(|l| std::str::from_utf8(&rest[..l]).ok())
            .and_then(|s| s.chars().next())
            .or_else(|| rest.first().map(|&b| char::from(b)))
    }

    /// The next token, `Ok(None)` at the end of the root value.
    pub(crate) fn next_token(&mut self) -> Result<Option<Token>, String> {
        if self.done {
            return Ok(None);
        }
        self.skip_ws();
        if self.after_name {
            self.after_name = false;
            return self.value().map(Some);
        }
        match self.stack.last().copied() {
            None => {
                if self.pos >= self.s.len() {
                    self.done = true;
                    return Ok(None);
                }
                self.value().map(Some)
            }
            Some(Ctx::ObjectKey { first }) => {
                if self.s.get(self.pos) == Some(&b'}') && first {
                    self.pos += 1;
                    self.close();
                    return Ok(Some(Token::EndObject));
                }
                if self.s.get(self.pos) != Some(&b'"') {
                    return Err(match self.s.get(self.pos) {
                        None => "Unexpected end-of-input: expected close marker for Object".into(),
                        Some(_) => {
                            self.unexpected("was expecting double-quote to start field name")
                        }
                    });
                }
                self.pos += 1;
                let name = self.string_body()?;
                self.skip_ws();
                if self.s.get(self.pos) != Some(&b':') {
                    return Err(
                        self.unexpected("was expecting a colon to separate field name and value")
                    );
                }
                self.pos += 1;
                if let Some(top) = self.stack.last_mut() {
                    *top = Ctx::ObjectNext;
                }
                self.after_name = true;
                Ok(Some(Token::FieldName(name)))
            }
            Some(Ctx::ObjectNext) => match self.s.get(self.pos) {
                Some(b'}') => {
                    self.pos += 1;
                    self.close();
                    Ok(Some(Token::EndObject))
                }
                Some(b',') => {
                    self.pos += 1;
                    if let Some(top) = self.stack.last_mut() {
                        *top = Ctx::ObjectKey { first: false };
                    }
                    self.next_token()
                }
                None => Err("Unexpected end-of-input: expected close marker for Object".into()),
                Some(_) => Err(self.unexpected("was expecting comma to separate Object entries")),
            },
            Some(Ctx::ArrayValue { first }) => {
                if first && self.s.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    self.close();
                    return Ok(Some(Token::EndArray));
                }
                if let Some(top) = self.stack.last_mut() {
                    *top = Ctx::ArrayNext;
                }
                self.value().map(Some)
            }
            Some(Ctx::ArrayNext) => match self.s.get(self.pos) {
                Some(b']') => {
                    self.pos += 1;
                    self.close();
                    Ok(Some(Token::EndArray))
                }
                Some(b',') => {
                    self.pos += 1;
                    if let Some(top) = self.stack.last_mut() {
                        *top = Ctx::ArrayValue { first: false };
                    }
                    self.next_token()
                }
                None => Err("Unexpected end-of-input: expected close marker for Array".into()),
                Some(_) => Err(self.unexpected("was expecting comma to separate Array entries")),
            },
        }
    }

    fn close(&mut self) {
        self.stack.pop();
        if self.stack.is_empty() {
            self.done = true;
        }
    }

    fn value(&mut self) -> Result<Token, String> {
        self.skip_ws();
        let Some(&b) = self.s.get(self.pos) else {
            return Err(format!(
                "Unexpected end-of-input: expected a valid value {EXPECTING_VALUE}"
            ));
        };
        let scalar = |t: Token, this: &mut Self| {
            if this.stack.is_empty() {
                this.done = true;
            }
            Ok(t)
        };
        match b {
            b'{' => {
                self.pos += 1;
                self.stack.push(Ctx::ObjectKey { first: true });
                Ok(Token::StartObject)
            }
            b'[' => {
                self.pos += 1;
                self.stack.push(Ctx::ArrayValue { first: true });
                Ok(Token::StartArray)
            }
            b'"' => {
                self.pos += 1;
                let s = self.string_body()?;
                scalar(Token::Str(s), self)
            }
            b'-' | b'0'..=b'9' => {
                let t = self.number()?;
                scalar(t, self)
            }
            b'a'..=b'z' | b'A'..=b'Z' => {
                let start = self.pos;
                while self
                    .s
                    .get(self.pos)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    self.pos += 1;
                }
                let word = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                let t = match word.as_str() {
                    "true" => Token::True,
                    "false" => Token::False,
                    "null" => Token::Null,
                    _ => {
                        return Err(format!(
                            "Unrecognized token '{word}': was expecting {EXPECTING_VALUE}"
                        ));
                    }
                };
                scalar(t, self)
            }
            b']' | b'}' | b',' => {
                Err(self.unexpected(&format!("expected a valid value {EXPECTING_VALUE}")))
            }
            _ => {
                // Jackson reads an unknown token up to a separator.
                let start = self.pos;
                while self.s.get(self.pos).is_some_and(|c| {
                    !matches!(
                        c,
                        b' ' | b'\t'
                            | b'\n'
                            | b'\r'
                            | b','
                            | b']'
                            | b'}'
                            | b'{'
                            | b'['
                            | b':'
                            | b'"'
                    )
                }) {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(
                        self.unexpected(&format!("expected a valid value {EXPECTING_VALUE}"))
                    );
                }
                let word = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                Err(format!(
                    "Unrecognized token '{word}': was expecting {EXPECTING_VALUE}"
                ))
            }
        }
    }
}

/// Jackson's description of a character: `'x' (code 120)`.
fn describe(c: char) -> String {
    let code = u32::from(c);
    if c.is_control() {
        format!("CTRL-CHAR, code {code}")
    } else {
        format!("'{c}' (code {code})")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn all(s: &str) -> Result<Vec<Token>, String> {
        let mut t = Tokenizer::new(s);
        let mut v = Vec::new();
        while let Some(tok) = t.next_token()? {
            v.push(tok);
        }
        Ok(v)
    }

    #[test]
    fn tokens() {
        let v = all(r#" {"a\u0062": [1.5e3, "x\"", true, null, {}] } "#).unwrap();
        assert_eq!(
            v,
            vec![
                Token::StartObject,
                Token::FieldName("ab".into()),
                Token::StartArray,
                Token::Num("1.5e3".into()),
                Token::Str("x\"".into()),
                Token::True,
                Token::Null,
                Token::StartObject,
                Token::EndObject,
                Token::EndArray,
                Token::EndObject
            ]
        );
    }

    #[test]
    fn errors() {
        assert!(
            all("this")
                .unwrap_err()
                .starts_with("Unrecognized token 'this'")
        );
        assert!(all(r#"{"a" 1}"#).unwrap_err().contains("colon"));
        assert!(all(r#"{"a":1 "b"}"#).unwrap_err().contains("comma"));
        assert!(
            all(r#"{"a":[1,]}"#)
                .unwrap_err()
                .contains("expected a valid value")
        );
        assert!(all(r#"{"a":01}"#).unwrap_err().contains("Leading zeroes"));
        assert!(all(r#"{"a":"#).unwrap_err().contains("end-of-input"));
    }
}
