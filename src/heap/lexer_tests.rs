use super::*;
use std::io::BufReader;

/// A tiny buffer forces every token across buffer boundaries.
fn lexer(text: &[u8]) -> Lexer<BufReader<&[u8]>> {
    Lexer::new(BufReader::with_capacity(3, text), false)
}

#[test]
fn integer_arrays_decode_across_buffer_boundaries() {
    let mut lx = lexer(b" [ 12345,0 ,\n 7,18446744073709551615 ] ");
    let mut got = Vec::new();
    let n = lx
        .read_int_array("nodes", |v| {
            got.push(v);
            Ok(())
        })
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(got, vec![12345, 0, 7, u64::MAX]);
    let mut lx = lexer(b"[]");
    assert_eq!(lx.read_int_array("edges", |_| Ok(())).unwrap(), 0);
}

#[test]
fn malformed_integer_arrays_are_clean_errors() {
    for bad in [
        &b"[1,,2]"[..],
        b"[1 2]",
        b"[-1]",
        b"[1.5]",
        b"[1,]",
        b"[,]",
        b"[18446744073709551616]",
    ] {
        let err = lexer(bad).read_int_array("nodes", |_| Ok(())).unwrap_err();
        assert!(
            matches!(
                err.kind,
                super::super::HeapErrorKind::Parse | super::super::HeapErrorKind::Invalid
            ),
            "{bad:?}: {err}"
        );
    }
    let err = lexer(b"[1,2")
        .read_int_array("nodes", |_| Ok(()))
        .unwrap_err();
    assert_eq!(err.kind, super::super::HeapErrorKind::Truncated);
}

#[test]
fn strings_decode_escapes_and_surrogate_pairs() {
    let mut lx = lexer(br#"["a\"b\\c\/\n\t", "\u00e9\ud83d\ude00", "\ud800x", "\udc00", "\ud800\n", "\ud800\ud800\udc00"]"#);
    let mut got = Vec::new();
    lx.read_string_array(1 << 20, |s| {
        got.push(String::from_utf8_lossy(s).into_owned());
        Ok(())
    })
    .unwrap();
    assert_eq!(got[0], "a\"b\\c/\n\t");
    assert_eq!(got[1], "é😀");
    assert_eq!(got[2], "\u{FFFD}x");
    assert_eq!(got[3], "\u{FFFD}");
    assert_eq!(got[4], "\u{FFFD}\n");
    assert_eq!(got[5], "\u{FFFD}\u{10000}");
}

#[test]
fn overlong_strings_are_rejected_before_growing() {
    let err = lexer(br#""abcdefgh""#)
        .read_string(&mut Vec::new(), 4)
        .unwrap_err();
    assert_eq!(err.kind, super::super::HeapErrorKind::TooLarge);
}

#[test]
fn skip_value_handles_nesting_strings_and_scalars() {
    let mut lx = lexer(br#"{"a":[1,{"b":"x\"]}"}],"c":true} , 5"#);
    let mut cap = Vec::new();
    lx.skip_value(Some(&mut cap), 1 << 10).unwrap();
    assert_eq!(cap, br#"{"a":[1,{"b":"x\"]}"}],"c":true}"#);
    assert_eq!(lx.next_token("x").unwrap(), b',');
    lx.skip_value(None, 0).unwrap();
    assert_eq!(lx.peek().unwrap(), None);
    assert!(lexer(b"[1,2}").skip_value(None, 0).is_err());
    assert!(lexer(b"[[[").skip_value(None, 0).is_err());
    let deep = vec![b'['; 10_000];
    assert!(lexer(&deep).skip_value(None, 0).is_err());
}
