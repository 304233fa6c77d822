//! Skipping (and optionally capturing) JSON values of any shape: unknown
//! keys, the trace arrays, and the `snapshot` header, which is captured as
//! bytes and handed to serde_json.

use std::io::{self, BufRead};

use super::{is_scalar_byte, is_ws, Lexer, MAX_DEPTH};
use crate::heap::error::HeapError;

impl<R: BufRead> Lexer<R> {
    /// Skips the rest of a string whose opening quote is consumed, copying the
    /// raw bytes (closing quote included) to `capture` when given.
    fn skip_string_body(
        &mut self,
        mut capture: Option<&mut Vec<u8>>,
        max_capture: usize,
    ) -> Result<(), HeapError> {
        let mut escaped = false;
        loop {
            let (taken, done) = match self.reader.fill_buf() {
                Ok([]) => return Err(self.eof("a string")),
                Ok(buf) => {
                    let mut i = 0;
                    let mut done = false;
                    if escaped {
                        escaped = false;
                        i = 1;
                    }
                    while let Some(rel) = buf
                        .get(i..)
                        .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
                    {
                        let at = i + rel;
                        if buf.get(at) == Some(&b'"') {
                            i = at + 1;
                            done = true;
                            break;
                        }
                        if at + 1 >= buf.len() {
                            escaped = true;
                            i = buf.len();
                            break;
                        }
                        i = at + 2;
                    }
                    if !done && !escaped {
                        i = buf.len();
                    }
                    let i = i.min(buf.len());
                    if let Some(cap) = capture.as_deref_mut() {
                        if cap.len() + i > max_capture {
                            return Err(HeapError::too_large(format!(
                                "snapshot header larger than {max_capture} bytes"
                            )));
                        }
                        cap.extend_from_slice(buf.get(..i).unwrap_or_default());
                    }
                    (i, done)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_err(&e)),
            };
            self.advance(taken);
            if done {
                return Ok(());
            }
        }
    }

    /// Skips one JSON value of any shape (after optional whitespace), copying
    /// its raw bytes to `capture` when given. Unknown keys go through here.
    pub(crate) fn skip_value(
        &mut self,
        mut capture: Option<&mut Vec<u8>>,
        max_capture: usize,
    ) -> Result<(), HeapError> {
        let mut stack: Vec<u8> = Vec::new();
        let mut in_scalar = false;
        if self.peek()?.is_none() {
            return Err(self.eof("a value"));
        }
        loop {
            let (taken, outcome) = match self.reader.fill_buf() {
                Ok([]) => {
                    if in_scalar && stack.is_empty() {
                        return Ok(());
                    }
                    return Err(self.eof("a value"));
                }
                Ok(buf) => {
                    let mut i = 0;
                    // 0: keep going, 1: value complete, 2: a string starts
                    let mut outcome = 0u8;
                    while let Some(&b) = buf.get(i) {
                        if in_scalar {
                            if is_scalar_byte(b) {
                                i += 1;
                                continue;
                            }
                            in_scalar = false;
                            if stack.is_empty() {
                                outcome = 1;
                                break;
                            }
                        }
                        match b {
                            b'{' | b'[' => {
                                if stack.len() >= MAX_DEPTH {
                                    return Err(self.syntax("nesting too deep"));
                                }
                                stack.push(if b == b'{' { b'}' } else { b']' });
                            }
                            b'}' | b']' => {
                                if stack.pop() != Some(b) {
                                    return Err(self.syntax("mismatched bracket"));
                                }
                                if stack.is_empty() {
                                    i += 1;
                                    outcome = 1;
                                    break;
                                }
                            }
                            b'"' => {
                                i += 1;
                                outcome = 2;
                                break;
                            }
                            b',' | b':' if !stack.is_empty() => {}
                            _ if is_ws(b) => {}
                            _ if is_scalar_byte(b) => in_scalar = true,
                            _ => return Err(self.syntax("unexpected byte in value")),
                        }
                        i += 1;
                    }
                    if let Some(cap) = capture.as_deref_mut() {
                        if cap.len() + i > max_capture {
                            return Err(HeapError::too_large(format!(
                                "snapshot header larger than {max_capture} bytes"
                            )));
                        }
                        cap.extend_from_slice(buf.get(..i).unwrap_or_default());
                    }
                    (i, outcome)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_err(&e)),
            };
            self.advance(taken);
            match outcome {
                1 => return Ok(()),
                2 => {
                    self.skip_string_body(capture.as_deref_mut(), max_capture)?;
                    if stack.is_empty() {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
    }
}

impl<R: BufRead> Lexer<R> {
    /// Skips one JSON string (after optional whitespace), copying its raw body
    /// and closing quote to `capture` when given. The redactor uses it to pass
    /// kept strings through byte for byte, escapes and all.
    pub(crate) fn skip_string(
        &mut self,
        capture: Option<&mut Vec<u8>>,
        max_capture: usize,
    ) -> Result<(), HeapError> {
        self.expect(b'"', "at the start of a string")?;
        self.skip_string_body(capture, max_capture)
    }

    /// The reader, for a caller that interposes on the bytes consumed.
    pub(crate) fn reader_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    pub(crate) fn into_reader(self) -> R {
        self.reader
    }
}
