//! The one rule for a numeric option: a finite number within a range, an
//! integer or not, and the one way to say it, in errors and in the docs.
//!
//! The option schemas of the cores (src/capture/options.rs,
//! src/watch/options.rs) give each number a `Range`; each core turns an
//! `OutOfRange` into its own coded error (`ERR_LEAKWATCH_INVALID_OPTION`) at
//! one point. The text a range prints (`integer in [0, 9]`, `> 0`) is the
//! text the README tables and the `.d.ts` files state, tested against it.

use std::fmt;

/// Node's timers hold at most 2^31 - 1 ms; a longer period fires at once.
pub const MAX_TIMER_MS: f64 = 2_147_483_647.0;
/// 2^53 - 1: a larger integer is not exact in a JS number.
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// One end of a range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub value: f64,
    /// Whether `value` itself is allowed.
    pub inclusive: bool,
}

/// A finite number within `[min, max]` (ends as their `Limit`s say; `None`:
/// unbounded on that side), an integer when `integer`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: Option<Limit>,
    pub max: Option<Limit>,
    pub integer: bool,
}

/// A value outside its range: the option's name and why, for the core's
/// error type to wrap.
#[derive(Debug, Clone, PartialEq)]
pub struct OutOfRange {
    pub name: String,
    /// `expected an integer in [0, 9], got 12`.
    pub why: String,
}

const fn limit(value: f64, inclusive: bool) -> Option<Limit> {
    Some(Limit { value, inclusive })
}

impl Range {
    /// Integers in `[min, max]`, both ends allowed.
    pub const fn integers(min: f64, max: f64) -> Range {
        Range {
            min: limit(min, true),
            max: limit(max, true),
            integer: true,
        }
    }

    /// Numbers `>= min`; no upper end.
    pub const fn at_least(min: f64) -> Range {
        Range {
            min: limit(min, true),
            max: None,
            integer: false,
        }
    }

    /// Numbers `> min`; no upper end.
    pub const fn above(min: f64) -> Range {
        Range {
            min: limit(min, false),
            max: None,
            integer: false,
        }
    }

    /// Numbers between `min` and `max`, each end allowed as its flag says.
    pub const fn between(min: f64, min_inclusive: bool, max: f64, max_inclusive: bool) -> Range {
        Range {
            min: limit(min, min_inclusive),
            max: limit(max, max_inclusive),
            integer: false,
        }
    }

    pub fn contains(&self, v: f64) -> bool {
        let above_min = |l: Limit| v > l.value || (l.inclusive && v == l.value);
        let below_max = |l: Limit| v < l.value || (l.inclusive && v == l.value);
        v.is_finite()
            && (!self.integer || v.fract() == 0.0)
            && self.min.is_none_or(above_min)
            && self.max.is_none_or(below_max)
    }

    /// `v` if it is within the range, else why not, naming the option `name`.
    pub fn check(&self, name: &str, v: f64) -> Result<f64, OutOfRange> {
        if self.contains(v) {
            return Ok(v);
        }
        Err(OutOfRange {
            name: name.to_string(),
            why: format!("expected {}, got {v}", self.described()),
        })
    }

    /// The range as a noun: `an integer in [0, 9]`, `a number > 0`.
    pub fn described(&self) -> String {
        match (self.integer, self.min.or(self.max)) {
            (true, _) => format!("an {self}"),
            (false, Some(_)) => format!("a number {self}"),
            (false, None) => "a finite number".to_string(),
        }
    }
}

/// As the docs state it: `integer in [0, 9]`, `in (0.5, 1)`, `> 0`,
/// `integer >= 0`; `integer` or `finite` when unbounded.
impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bounds = match (self.min, self.max) {
            (Some(lo), Some(hi)) => {
                let open = if lo.inclusive { '[' } else { '(' };
                let close = if hi.inclusive { ']' } else { ')' };
                format!("in {open}{}, {}{close}", lo.value, hi.value)
            }
            (Some(lo), None) => format!("{} {}", if lo.inclusive { ">=" } else { ">" }, lo.value),
            (None, Some(hi)) => format!("{} {}", if hi.inclusive { "<=" } else { "<" }, hi.value),
            (None, None) if self.integer => String::new(),
            (None, None) => "finite".to_string(),
        };
        match (self.integer, bounds.is_empty()) {
            (true, true) => f.write_str("integer"),
            (true, false) => write!(f, "integer {bounds}"),
            (false, _) => f.write_str(&bounds),
        }
    }
}

#[cfg(test)]
#[path = "range_tests.rs"]
mod tests;
