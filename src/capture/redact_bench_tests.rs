//! Throughput of the redactor on a real snapshot, run by hand:
//! `LEAKWATCH_BENCH_SNAPSHOT=big.heapsnapshot cargo test --release --lib bench_redact -- --ignored --nocapture`
//! It compares, on one thread and in memory, gzip alone (what the writer does
//! without `redact`), the redactor alone, and both, as the writer runs them (a
//! `BufWriter` in front of gzip: unbatched, the small writes tripled the time).

use super::*;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::time::Instant;

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed().as_secs_f64())
}

#[test]
#[ignore]
fn bench_redact_snapshot() {
    let Ok(path) = std::env::var("LEAKWATCH_BENCH_SNAPSHOT") else {
        eprintln!("set LEAKWATCH_BENCH_SNAPSHOT to a raw .heapsnapshot");
        return;
    };
    let data = std::fs::read(path).unwrap();
    let mb = data.len() as f64 / 1e6;
    let chunk = 64 << 10;
    for round in 1..=3 {
        let ((), gzip) = timed(|| {
            let mut gz = GzEncoder::new(io::sink(), Compression::new(2));
            for c in data.chunks(chunk) {
                gz.write_all(c).unwrap();
            }
            gz.finish().unwrap();
        });
        let (stats, alone) = timed(|| {
            redact(&data[..], io::sink(), chunk, |_: &[u8]| {})
                .map_err(|e| format!("{e:?}"))
                .unwrap()
                .1
        });
        let ((), both) = timed(|| {
            let gz = GzEncoder::new(io::sink(), Compression::new(2));
            let batched = io::BufWriter::with_capacity(chunk, gz);
            let (batched, _) = redact(&data[..], batched, chunk, |_: &[u8]| {})
                .map_err(|e| format!("{e:?}"))
                .unwrap();
            batched.into_inner().unwrap().finish().unwrap();
        });
        println!(
            "round {round}: {mb:.0} MB; gzip level 2 {gzip:.2} s ({:.0} MB/s); redact alone {alone:.2} s ({:.0} MB/s); redact + gzip {both:.2} s ({:.0} MB/s); {} of {} strings redacted",
            mb / gzip,
            mb / alone,
            mb / both,
            stats.redacted,
            stats.strings
        );
    }
}
