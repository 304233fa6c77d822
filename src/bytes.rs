//! The one byte formatter: the analyzer's report, the watchdog's reasons and,
//! through the binding's `formatBytes`, the JS side all write sizes this way.

/// `1536` -> `1.5 KiB`.
pub fn human_bytes(bytes: i64) -> String {
    let sign = if bytes < 0 { "-" } else { "" };
    let mut v = bytes.unsigned_abs() as f64;
    for unit in ["B", "KiB", "MiB", "GiB"] {
        if v < 1024.0 || unit == "GiB" {
            return if unit == "B" {
                format!("{sign}{v} {unit}")
            } else {
                format!("{sign}{v:.1} {unit}")
            };
        }
        v /= 1024.0;
    }
    format!("{sign}{v:.1} GiB")
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn binary_units_one_decimal() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
        assert_eq!(human_bytes(-(5 << 30)), "-5.0 GiB");
    }
}
