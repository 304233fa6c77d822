//! Per-class statistics, as in DevTools' Summary view: count, shallow size and
//! retained size, where a class's retained size only counts its objects that
//! no other object of the same class dominates (so nested instances are not
//! counted twice).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::dominators::DominatorTree;
use super::graph::HeapGraph;

/// A dense class id per node and the class names.
#[derive(Debug, Default)]
pub struct ClassIndex {
    pub class_of: Vec<u32>,
    pub names: Vec<String>,
}

impl ClassIndex {
    /// Interns class names. Keys are (kind, string or type index) so the name
    /// is only rendered once per distinct key, not once per node.
    pub fn build(graph: &HeapGraph) -> Self {
        let mut by_key: HashMap<(u8, u32), u32> = HashMap::new();
        let mut by_name: HashMap<String, u32> = HashMap::new();
        let mut names = Vec::new();
        let mut class_of = Vec::with_capacity(graph.node_count());
        let t = &graph.types;
        for node in 0..graph.node_count() as u32 {
            let kind = Some(graph.kind(node));
            let key = if kind == t.node_object || kind == t.node_native || kind == t.node_closure {
                (
                    u8::from(kind == t.node_closure),
                    graph.node_name.get(node as usize).copied().unwrap_or(0),
                )
            } else {
                (2, u32::from(graph.kind(node)))
            };
            let id = match by_key.get(&key) {
                Some(&id) => id,
                None => {
                    let name = graph.class_name(node).into_owned();
                    let id = *by_name.entry(name.clone()).or_insert_with(|| {
                        names.push(name);
                        names.len() as u32 - 1
                    });
                    by_key.insert(key, id);
                    id
                }
            };
            class_of.push(id);
        }
        ClassIndex { class_of, names }
    }

    pub fn class(&self, node: u32) -> u32 {
        self.class_of
            .get(node as usize)
            .copied()
            .unwrap_or(u32::MAX)
    }

    pub fn name(&self, class: u32) -> &str {
        self.names
            .get(class as usize)
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// Summary statistics of one class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassStat {
    pub name: String,
    pub count: u64,
    pub shallow_size: u64,
    pub retained_size: u64,
}

/// For each key, the summed retained size of the selected nodes that have no
/// selected ancestor with the same key in the dominator tree.
/// `key[v] == u32::MAX` means "no key".
pub fn top_level_retained(
    dom: &DominatorTree,
    key: impl Fn(u32) -> u32,
    key_count: usize,
    selected: impl Fn(u32) -> bool,
) -> Vec<u64> {
    let (first, children) = dom.children();
    let mut sums = vec![0u64; key_count];
    let mut on_path = vec![0u32; key_count];
    let get = |a: &[u32], i: usize| a.get(i).copied().unwrap_or(0);
    if dom.idom.is_empty() {
        return sums;
    }
    let enter = |v: u32, on_path: &mut Vec<u32>, sums: &mut Vec<u64>| {
        if !selected(v) {
            return;
        }
        let k = key(v) as usize;
        if let Some(depth) = on_path.get_mut(k) {
            if *depth == 0 {
                if let Some(s) = sums.get_mut(k) {
                    *s += dom.retained(v);
                }
            }
            *depth += 1;
        }
    };
    // (node, next child position)
    let mut stack: Vec<(u32, u32)> = vec![(0, get(&first, 0))];
    enter(0, &mut on_path, &mut sums);
    while let Some(top) = stack.last_mut() {
        let (v, pos) = *top;
        if pos < get(&first, v as usize + 1) {
            top.1 += 1;
            let child = get(&children, pos as usize);
            enter(child, &mut on_path, &mut sums);
            stack.push((child, get(&first, child as usize)));
        } else {
            stack.pop();
            if selected(v) {
                if let Some(depth) = on_path.get_mut(key(v) as usize) {
                    *depth = depth.saturating_sub(1);
                }
            }
        }
    }
    sums
}

/// Count, shallow and retained size per class, biggest retained size first.
/// The root itself is not counted.
pub fn by_class(
    graph: &HeapGraph,
    dom: &DominatorTree,
    classes: &ClassIndex,
    selected: impl Fn(u32) -> bool + Copy,
) -> Vec<ClassStat> {
    let k = classes.names.len();
    let mut stats: Vec<ClassStat> = classes
        .names
        .iter()
        .map(|name| ClassStat {
            name: name.clone(),
            count: 0,
            shallow_size: 0,
            retained_size: 0,
        })
        .collect();
    for v in 1..graph.node_count() as u32 {
        if !selected(v) {
            continue;
        }
        if let Some(s) = stats.get_mut(classes.class(v) as usize) {
            s.count += 1;
            s.shallow_size += graph.self_size(v);
        }
    }
    let retained = top_level_retained(dom, |v| classes.class(v), k, |v| v != 0 && selected(v));
    for (s, r) in stats.iter_mut().zip(retained) {
        s.retained_size = r;
    }
    stats.retain(|s| s.count > 0);
    stats.sort_by(|a, b| {
        b.retained_size
            .cmp(&a.retained_size)
            .then_with(|| a.name.cmp(&b.name))
    });
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::graph::tests::build;

    #[test]
    fn nested_instances_of_a_class_are_counted_once_in_retained_size() {
        // root -> A1 -> A2 -> B ; root -> A3 ; every node has self size 10.
        let g = build(
            &[
                ("synthetic", ""),
                ("object", "A"),
                ("object", "A"),
                ("object", "B"),
                ("object", "A"),
            ],
            &[
                (0, "property", "a1", 1),
                (1, "property", "a2", 2),
                (2, "property", "b", 3),
                (0, "property", "a3", 4),
            ],
        );
        let dom = DominatorTree::compute(&g);
        let classes = ClassIndex::build(&g);
        let stats = by_class(&g, &dom, &classes, |_| true);
        assert_eq!(
            stats[0],
            ClassStat {
                name: "A".into(),
                count: 3,
                shallow_size: 30,
                retained_size: 40
            }
        );
        assert_eq!(stats[1].name, "B");
        assert_eq!(stats[1].retained_size, 10);
        assert_eq!(stats.len(), 2, "the root is not a class");
    }
}
