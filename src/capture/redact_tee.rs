//! `Tee`: a `BufRead` over the snapshot input that copies every byte the
//! tokenizer consumes to the output while `pass` is on. The redactor turns
//! `pass` off only around the `snapshot` header and the `strings` table, which
//! it writes itself; everything else (the integer arrays that are 95% of a
//! snapshot) flows through untouched, in the buffers it was read in.

use std::io::{self, BufRead, Read, Write};

pub(crate) struct Tee<R, W, F> {
    input: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    out: W,
    pub(crate) pass: bool,
    on_read: F,
    out_err: Option<io::Error>,
}

impl<R: Read, W: Write, F: FnMut(&[u8])> Tee<R, W, F> {
    pub(crate) fn new(input: R, out: W, capacity: usize, on_read: F) -> Self {
        Tee {
            input,
            buf: vec![0u8; capacity.max(1)].into_boxed_slice(),
            pos: 0,
            end: 0,
            out,
            pass: true,
            on_read,
            out_err: None,
        }
    }

    /// Writes bytes of the redactor's own making (header, placeholders).
    pub(crate) fn emit(&mut self, bytes: &[u8]) {
        if self.out_err.is_none() {
            if let Err(e) = self.out.write_all(bytes) {
                self.out_err = Some(e);
            }
        }
    }

    /// The first output error, which ends the run: the caller reports it (a
    /// full disk) rather than the tokenizer's view of it.
    pub(crate) fn take_out_err(&mut self) -> Option<io::Error> {
        self.out_err.take()
    }

    pub(crate) fn into_out(self) -> W {
        self.out
    }
}

impl<R: Read, W: Write, F: FnMut(&[u8])> Read for Tee<R, W, F> {
    fn read(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(dst.len());
        if let (Some(d), Some(s)) = (dst.get_mut(..n), avail.get(..n)) {
            d.copy_from_slice(s);
        }
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read, W: Write, F: FnMut(&[u8])> BufRead for Tee<R, W, F> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.out_err.is_some() {
            return Err(io::Error::other("the output failed"));
        }
        if self.pos >= self.end {
            let n = loop {
                match self.input.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            self.pos = 0;
            self.end = n.min(self.buf.len());
            (self.on_read)(self.buf.get(..self.end).unwrap_or_default());
        }
        Ok(self.buf.get(self.pos..self.end).unwrap_or_default())
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.end.saturating_sub(self.pos));
        if self.pass && self.out_err.is_none() {
            if let Some(bytes) = self.buf.get(self.pos..self.pos + n) {
                if let Err(e) = self.out.write_all(bytes) {
                    self.out_err = Some(e);
                }
            }
        }
        self.pos += n;
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[test]
    fn passes_only_what_is_consumed_with_pass_on() {
        let mut seen = 0usize;
        let mut tee = Tee::new(&b"abcdef"[..], Vec::new(), 4, |c: &[u8]| seen += c.len());
        assert_eq!(tee.fill_buf().unwrap(), b"abcd");
        tee.consume(2);
        tee.pass = false;
        tee.consume(1);
        tee.emit(b"X");
        tee.pass = true;
        let mut rest = Vec::new();
        tee.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"def");
        assert_eq!(tee.into_out(), b"abXdef");
        assert_eq!(seen, 6);
    }

    /// An output whose every write fails as on a full disk (`ENOSPC`); the
    /// redactor's tests use it too.
    pub(in crate::capture) struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from_raw_os_error(libc::ENOSPC))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_output_error_stops_reading_and_is_kept() {
        let mut tee = Tee::new(&b"abc"[..], Full, 8, |_: &[u8]| {});
        let n = tee.fill_buf().unwrap().len();
        tee.consume(n);
        assert!(tee.fill_buf().is_err());
        assert_eq!(
            tee.take_out_err().unwrap().raw_os_error(),
            Some(libc::ENOSPC)
        );
    }
}
