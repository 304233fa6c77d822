//! A streaming JSON tokenizer specialised for `.heapsnapshot` files.
//!
//! Snapshots are hundreds of megabytes of integers, so the text is never held
//! whole: integers are decoded straight from the `BufRead` buffer into the
//! caller's columns, and only the small `snapshot` header is captured as bytes.
//! Every loop works on buffer slices rather than byte-by-byte reads, because
//! the per-call overhead of a byte reader dominates on inputs this size.

use std::io::{self, BufRead};

use super::error::HeapError;

/// Deeper nesting than this is not a heap snapshot; the bound keeps the skip
/// stack small on hostile input.
const MAX_DEPTH: usize = 256;

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

fn is_scalar_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')
}

/// The tokenizer. `gzip` only changes how read errors are classified.
pub(crate) struct Lexer<R: BufRead> {
    reader: R,
    gzip: bool,
    offset: u64,
}

impl<R: BufRead> Lexer<R> {
    pub(crate) fn new(reader: R, gzip: bool) -> Self {
        Lexer {
            reader,
            gzip,
            offset: 0,
        }
    }

    /// Bytes consumed so far (of the decompressed text), for error messages.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    fn io_err(&self, err: &io::Error) -> HeapError {
        HeapError::from_io("reading snapshot", err, self.gzip)
    }

    fn eof(&self, what: &str) -> HeapError {
        HeapError::truncated(format!(
            "input ended inside {what} after {} bytes",
            self.offset
        ))
    }

    fn syntax(&self, what: &str) -> HeapError {
        HeapError::parse(format!("{what} at byte {}", self.offset))
    }

    fn advance(&mut self, n: usize) {
        self.reader.consume(n);
        self.offset += n as u64;
    }

    /// Returns the next raw byte without consuming it (`None` at end of input).
    fn peek_raw(&mut self) -> Result<Option<u8>, HeapError> {
        loop {
            match self.reader.fill_buf() {
                Ok(buf) => return Ok(buf.first().copied()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_err(&e)),
            }
        }
    }

    fn next_raw(&mut self, what: &str) -> Result<u8, HeapError> {
        match self.peek_raw()? {
            Some(b) => {
                self.advance(1);
                Ok(b)
            }
            None => Err(self.eof(what)),
        }
    }

    /// Skips whitespace and returns the next byte without consuming it.
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, HeapError> {
        loop {
            let skipped = match self.reader.fill_buf() {
                Ok(buf) => {
                    let n = buf.iter().take_while(|&&b| is_ws(b)).count();
                    if n < buf.len() || buf.is_empty() {
                        let next = buf.get(n).copied();
                        self.advance(n);
                        return Ok(next);
                    }
                    n
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_err(&e)),
            };
            self.advance(skipped);
        }
    }

    /// Skips whitespace and consumes `expected`, or fails naming `what`.
    pub(crate) fn expect(&mut self, expected: u8, what: &str) -> Result<(), HeapError> {
        match self.peek()? {
            Some(b) if b == expected => {
                self.advance(1);
                Ok(())
            }
            Some(_) => Err(self.syntax(&format!("expected '{}' {what}", expected as char))),
            None => Err(self.eof(what)),
        }
    }

    /// Skips whitespace and consumes one byte, which must exist.
    pub(crate) fn next_token(&mut self, what: &str) -> Result<u8, HeapError> {
        match self.peek()? {
            Some(b) => {
                self.advance(1);
                Ok(b)
            }
            None => Err(self.eof(what)),
        }
    }

    /// Reads a JSON string (after optional whitespace) as UTF-8 bytes into
    /// `out`, decoding escapes. Lone surrogates become U+FFFD, as V8 writes
    /// them for strings that were not valid UTF-16.
    pub(crate) fn read_string(
        &mut self,
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<(), HeapError> {
        out.clear();
        self.expect(b'"', "at the start of a string")?;
        loop {
            let (taken, stop) = match self.reader.fill_buf() {
                Ok([]) => return Err(self.eof("a string")),
                Ok(buf) => match memchr::memchr2(b'"', b'\\', buf) {
                    Some(i) => {
                        let chunk = buf.get(..i).unwrap_or_default();
                        if out.len() + chunk.len() > max_len {
                            return Err(HeapError::too_large(format!(
                                "string longer than {max_len} bytes at byte {}",
                                self.offset
                            )));
                        }
                        out.extend_from_slice(chunk);
                        (i + 1, buf.get(i).copied())
                    }
                    None => {
                        if out.len() + buf.len() > max_len {
                            return Err(HeapError::too_large(format!(
                                "string longer than {max_len} bytes at byte {}",
                                self.offset
                            )));
                        }
                        out.extend_from_slice(buf);
                        (buf.len(), None)
                    }
                },
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_err(&e)),
            };
            self.advance(taken);
            match stop {
                Some(b'"') => return Ok(()),
                Some(_) => self.read_escape(out)?,
                None => {}
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, HeapError> {
        let mut cp = 0u32;
        for _ in 0..4 {
            let b = self.next_raw("a \\u escape")?;
            let digit = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.syntax("invalid hex digit in \\u escape"))?;
            cp = cp * 16 + digit;
        }
        Ok(cp)
    }

    fn push_char(out: &mut Vec<u8>, cp: u32) {
        let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
        let mut tmp = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    }

    fn simple_escape(&self, c: u8, out: &mut Vec<u8>) -> Result<(), HeapError> {
        let decoded = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            _ => return Err(self.syntax("invalid escape in string")),
        };
        out.push(decoded);
        Ok(())
    }

    /// Decodes one escape; the backslash is already consumed.
    fn read_escape(&mut self, out: &mut Vec<u8>) -> Result<(), HeapError> {
        let c = self.next_raw("an escape")?;
        if c != b'u' {
            return self.simple_escape(c, out);
        }
        let mut cp = self.hex4()?;
        loop {
            if (0xDC00..0xE000).contains(&cp) {
                Self::push_char(out, 0xFFFD);
                return Ok(());
            }
            if !(0xD800..0xDC00).contains(&cp) {
                Self::push_char(out, cp);
                return Ok(());
            }
            // A high surrogate is only valid when a low one follows at once.
            if self.peek_raw()? != Some(b'\\') {
                Self::push_char(out, 0xFFFD);
                return Ok(());
            }
            self.advance(1);
            let c2 = self.next_raw("an escape")?;
            if c2 != b'u' {
                Self::push_char(out, 0xFFFD);
                return self.simple_escape(c2, out);
            }
            let low = self.hex4()?;
            if (0xDC00..0xE000).contains(&low) {
                Self::push_char(out, 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00));
                return Ok(());
            }
            Self::push_char(out, 0xFFFD);
            cp = low;
        }
    }

    /// Reads a JSON array of non-negative integers, handing each to `sink`
    /// without materialising the array. Returns how many values there were.
    pub(crate) fn read_int_array(
        &mut self,
        what: &str,
        mut sink: impl FnMut(u64) -> Result<(), HeapError>,
    ) -> Result<u64, HeapError> {
        #[derive(PartialEq)]
        enum State {
            First,
            BeforeValue,
            InNumber,
            AfterValue,
        }
        self.expect(b'[', what)?;
        let mut state = State::First;
        let mut acc: u64 = 0;
        let mut count = 0u64;
        loop {
            let (taken, finished) = match self.reader.fill_buf() {
                Ok([]) => {
                    return Err(HeapError::truncated(format!(
                        "input ended inside `{what}` after {count} values ({} bytes)",
                        self.offset
                    )))
                }
                Ok(buf) => {
                    let mut i = 0;
                    let mut finished = false;
                    while let Some(&b) = buf.get(i) {
                        if state == State::InNumber {
                            if b.is_ascii_digit() {
                                acc = match acc
                                    .checked_mul(10)
                                    .and_then(|a| a.checked_add(u64::from(b - b'0')))
                                {
                                    Some(a) => a,
                                    None => {
                                        return Err(HeapError::invalid(format!(
                                            "integer beyond 64 bits in `{what}`"
                                        )))
                                    }
                                };
                                i += 1;
                                continue;
                            }
                            sink(acc)?;
                            count += 1;
                            state = State::AfterValue;
                        }
                        if b.is_ascii_digit() && state != State::AfterValue {
                            acc = u64::from(b - b'0');
                            state = State::InNumber;
                        } else if is_ws(b) {
                        } else if b == b',' && state == State::AfterValue {
                            state = State::BeforeValue;
                        } else if b == b']' && (state == State::AfterValue || state == State::First)
                        {
                            i += 1;
                            finished = true;
                            break;
                        } else {
                            return Err(HeapError::parse(format!(
                                "unexpected byte {:?} in integer array `{what}` at byte {}",
                                b as char,
                                self.offset + i as u64
                            )));
                        }
                        i += 1;
                    }
                    (i, finished)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_err(&e)),
            };
            self.advance(taken);
            if finished {
                return Ok(count);
            }
        }
    }

    /// Reads a JSON array of strings, handing each (as UTF-8 bytes) to `sink`.
    pub(crate) fn read_string_array(
        &mut self,
        max_len: usize,
        mut sink: impl FnMut(&[u8]) -> Result<(), HeapError>,
    ) -> Result<u64, HeapError> {
        self.expect(b'[', "at the start of `strings`")?;
        let mut scratch = Vec::new();
        let mut count = 0u64;
        if self.peek()? == Some(b']') {
            self.advance(1);
            return Ok(0);
        }
        loop {
            self.read_string(&mut scratch, max_len)?;
            sink(&scratch)?;
            count += 1;
            match self.next_token("`strings`")? {
                b',' => {}
                b']' => return Ok(count),
                _ => return Err(self.syntax("expected ',' or ']' in `strings`")),
            }
        }
    }
}

#[path = "lexer_skip.rs"]
mod skip;

#[cfg(test)]
#[path = "lexer_tests.rs"]
mod tests;
