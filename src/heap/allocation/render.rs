//! The text report's lines for allocation sites: the suspect's allocating
//! function and stack, and the summary's list of growing functions.

use std::fmt::Write;

use super::super::report::{human_bytes, Suspect};
use super::{culprit_frame, AllocationSite, Frame};

fn position(f: &Frame) -> String {
    let file = if f.url.is_empty() { "native" } else { &f.url };
    if f.line < 0 {
        return file.to_string();
    }
    format!("{file}:{}:{}", f.line + 1, f.column + 1)
}

fn name(f: &str) -> &str {
    if f.is_empty() {
        "(anonymous)"
    } else {
        f
    }
}

/// `, partly inlined into handler 22:24 (+30 MiB)`: the callers V8 charged
/// some of this function's allocations to; line:column alone in the same file.
fn inlined_note(site: &AllocationSite) -> String {
    let callers: Vec<String> = site
        .inlined_into
        .iter()
        .take(3)
        .map(|c| {
            let at = if c.url == site.url && c.line >= 0 {
                format!("{}:{}", c.line + 1, c.column + 1)
            } else {
                position(&Frame {
                    function_name: String::new(),
                    url: c.url.clone(),
                    line: c.line,
                    column: c.column,
                })
            };
            format!(
                "{} {at} (+{})",
                name(&c.function_name),
                human_bytes(c.bytes)
            )
        })
        .collect();
    if callers.is_empty() {
        return String::new();
    }
    let more = site.inlined_into.len().saturating_sub(3);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!(", partly inlined into {}{more}", callers.join(", "))
}

/// The suspect's lines: `allocated by: fn (file:line:col)` and a few frames.
pub fn render_suspect(out: &mut String, sus: &Suspect) {
    let Some(site) = &sus.allocation else {
        return;
    };
    let grew = match site.matched_by.as_deref() {
        Some("scope") => {
            ", made there per call (the closures' scope in the snapshot; no sampled allocation)"
                .to_string()
        }
        // How sure the join is, in words: `matched_by` for people.
        how => {
            let why = match how {
                Some("encloses") => "; its body holds the closures",
                Some("script") => "; a stack in the holder's script",
                Some("class") => "; a frame is the constructor",
                Some("window") => ", the top growing stack of the same window",
                _ => "",
            };
            format!(", +{} sampled live{why}", human_bytes(site.bytes))
        }
    };
    let _ = writeln!(
        out,
        "   allocated by: {} ({}){}{grew}",
        name(&site.function_name),
        position(&culprit_frame(site)),
        inlined_note(site),
    );
    let stack: Vec<String> = site
        .frames
        .iter()
        .take(4)
        .map(|f| format!("{} ({})", name(&f.function_name), position(f)))
        .collect();
    if stack.len() > 1 {
        let _ = writeln!(out, "   allocation stack: {}", stack.join(" < "));
    }
}

/// The summary's list of growing allocation sites.
pub fn render_sites(out: &mut String, sites: &[AllocationSite]) {
    if sites.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nAllocation sites by growth of live sampled bytes (sampling heap profile):"
    );
    for s in sites {
        let stacks = if s.stacks > 1 {
            format!(", {} stacks", s.stacks)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:>12}  {} ({}){}{stacks}",
            format!("+{}", human_bytes(s.bytes)),
            name(&s.function_name),
            position(&culprit_frame(s)),
            inlined_note(s)
        );
    }
}
