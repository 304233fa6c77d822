//! Glue for the numeric options of the schemas (src/range.rs): one shape
//! for every schema's numbers, as lib/options.js and lib/watch-options.js
//! read them.

use napi_derive::napi;

use crate::range::{Limit, Range};

/// One numeric option's rule: a finite number within `[min, max]` (each end
/// allowed as its flag says, absent: unbounded), an integer when `integer`.
#[napi(object)]
pub struct OptionNumberSpec {
    pub name: String,
    /// Absent: left out means none.
    pub default: Option<f64>,
    pub min: Option<f64>,
    /// Whether `min` itself is allowed.
    pub min_inclusive: bool,
    pub max: Option<f64>,
    pub max_inclusive: bool,
    pub integer: bool,
    /// At least this many times `intervalMs` (watchdog options only).
    pub min_intervals: Option<f64>,
    /// The range as the README and the `.d.ts` files state it: `integer in [0, 9]`.
    pub range: String,
}

impl OptionNumberSpec {
    pub fn new(name: &str, default: Option<f64>, range: Range, doc: String) -> Self {
        let end = |l: Option<Limit>| (l.map(|l| l.value), l.is_some_and(|l| l.inclusive));
        let (min, min_inclusive) = end(range.min);
        let (max, max_inclusive) = end(range.max);
        OptionNumberSpec {
            name: name.to_string(),
            default,
            min,
            min_inclusive,
            max,
            max_inclusive,
            integer: range.integer,
            min_intervals: None,
            range: doc,
        }
    }
}
