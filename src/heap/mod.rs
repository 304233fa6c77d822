//! The native heap snapshot analyzer: a streaming `.heapsnapshot(.gz)` parser,
//! compact graph, dominators and retained sizes, retaining paths, snapshot
//! diffs and a ranked leak report. Pure Rust: no napi types, so `cargo test`
//! covers all of it.

pub mod aggregate;
pub mod distances;
pub mod dominators;
pub mod error;
pub mod graph;
mod lexer;
pub mod parser;
pub mod paths;

pub use error::{HeapError, HeapErrorKind};
pub use graph::{HeapGraph, SourceLocation};
pub use parser::{parse_file, parse_reader, ParseLimits};
