//! Retaining paths for people: started at the holder's anchor (a module's
//! file, an owner's class), repeated links collapsed into one step with a
//! count, at most [`MAX_READABLE_STEPS`] steps.

use super::graph::HeapGraph;

/// One label per edge of `edges` (a path from the root to `node`), then
/// `node`'s own label. The root's edge gets an empty label when it says
/// nothing (a one-edge path).
pub fn step_labels(graph: &HeapGraph, edges: &[usize], node: u32) -> Vec<String> {
    let mut parts = Vec::with_capacity(edges.len() + 1);
    for (i, &e) in edges.iter().enumerate() {
        let to = graph.edge_target(e);
        let synthetic = Some(graph.kind(to)) == graph.types.node_synthetic;
        if i > 0 && synthetic && to != node {
            // Sub-roots such as "(Global handles)" say more by name than by
            // their index under "(GC roots)".
            parts.push(super::paths::clip(graph.name(to)));
        } else if i > 0 {
            let mut label = super::paths::edge_label(graph, e);
            // Closures on the way are what people recognise in their code.
            if graph.is_closure(to) && to != node {
                let name = graph.name(to);
                if !name.is_empty() && name != label {
                    label = format!("{label} ({})", super::paths::clip(name));
                }
            }
            parts.push(label);
        } else if edges.len() > 1 {
            // The root's edges lead to synthetic groups whose names say more
            // than the edge index, e.g. "(GC roots)".
            parts.push(super::paths::clip(graph.name(to)));
        } else {
            parts.push(String::new());
        }
    }
    parts.push(super::paths::node_label(graph, node));
    parts
}

/// Most steps a readable path prints; the middle of longer ones is elided.
pub const MAX_READABLE_STEPS: usize = 12;

/// A label with each run of digits (element indices) as `…`, so `[12]` and
/// `[7]` repeat.
fn shape(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut in_digits = false;
    for c in label.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('…');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

/// Collapses runs of a repeated step, or of a repeated group of up to three
/// steps, into one entry with a count: `_idleNext ×3000`,
/// `([reactions_or_result] > [2]) ×4021`.
pub fn collapse_repeats(parts: &[String]) -> Vec<String> {
    let shapes: Vec<String> = parts.iter().map(|p| shape(p)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let mut best: Option<(usize, usize)> = None;
        for p in 1..=3 {
            let mut reps = 1;
            while i + (reps + 1) * p <= parts.len()
                && (0..p).all(|j| shapes.get(i + j) == shapes.get(i + reps * p + j))
            {
                reps += 1;
            }
            if reps >= 2 {
                best = Some((p, reps));
                break;
            }
        }
        match best {
            Some((p, reps)) => {
                let group = shapes.get(i..i + p).unwrap_or_default().join(" > ");
                out.push(if p == 1 {
                    format!("{group} ×{reps}")
                } else {
                    format!("({group}) ×{reps}")
                });
                i += p * reps;
            }
            None => {
                out.push(parts.get(i).cloned().unwrap_or_default());
                i += 1;
            }
        }
    }
    out
}

/// The path for people: from `anchor` (a step index and the label that
/// replaces everything up to and including it, e.g. a module's file) when
/// given, repeats collapsed, at most [`MAX_READABLE_STEPS`] steps.
pub fn readable_path(parts: &[String], anchor: Option<(usize, &str)>) -> String {
    let mut steps: Vec<String> = Vec::new();
    let rest = match anchor {
        Some((k, label)) if k <= parts.len() => {
            steps.push(label.to_owned());
            parts.get(k..).unwrap_or_default()
        }
        _ => parts,
    };
    steps.extend(rest.iter().filter(|p| !p.is_empty()).cloned());
    let mut steps = collapse_repeats(&steps);
    if steps.len() > MAX_READABLE_STEPS {
        let tail = MAX_READABLE_STEPS - 4;
        let elided = steps.len() - 3 - tail;
        let mut out: Vec<String> = steps.drain(..3).collect();
        out.push(format!("… {elided} steps …"));
        out.extend(steps.drain(steps.len() - tail..));
        steps = out;
    }
    steps.join(" > ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_paths_collapse_repeats_and_are_capped() {
        let parts: Vec<String> = [
            "global",
            "timers",
            "_idleNext",
            "_idleNext",
            "_idleNext",
            "Timeout",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            readable_path(&parts, None),
            "global > timers > _idleNext ×3 > Timeout"
        );
        let chain: Vec<String> = std::iter::once("queue".to_string())
            .chain((0..4000).flat_map(|i| ["[reactions_or_result]".to_string(), format!("[{i}]")]))
            .chain(std::iter::once("Promise".to_string()))
            .collect();
        let text = readable_path(&chain, Some((0, "module scope of /srv/q.js")));
        assert_eq!(
            text,
            "module scope of /srv/q.js > queue > ([reactions_or_result] > […]) ×4000 > Promise"
        );
        let long: Vec<String> = (0..40)
            .map(|i| format!("p{}", char::from(b'a' + (i % 26) as u8)).repeat(1 + i / 26))
            .collect();
        let text = readable_path(&long, None);
        assert_eq!(text.split(" > ").count(), MAX_READABLE_STEPS);
        assert!(text.contains("… 29 steps …"), "{text}");
    }
}
