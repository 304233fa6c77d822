//! Reads a V8 sampling heap profile (`.heapprofile`, the JSON of
//! `HeapProfiler.getSamplingProfile`) into a flat arena of nodes, without
//! recursion: a profile of deep recursion nests thousands of `children`
//! arrays, which would overflow a recursive parser (and serde_json stops at
//! 128 levels). The input is hostile: sizes, depth and node count are bounded
//! and every error is a coded [`HeapError`].

use std::collections::HashMap;
use std::io::BufRead;

use super::super::error::{HeapError, HeapErrorKind};
use super::super::lexer::Lexer;
use super::Frame;

/// Bounds on what a profile may contain.
#[derive(Debug, Clone, Copy)]
pub struct ProfileLimits {
    pub max_nodes: usize,
    pub max_depth: usize,
    pub max_string: usize,
}

impl Default for ProfileLimits {
    fn default() -> Self {
        // Real profiles have a few thousand nodes; these bounds are far above
        // that and keep a hostile file's cost to tens of megabytes.
        ProfileLimits {
            max_nodes: 1_000_000,
            max_depth: 20_000,
            max_string: 64 * 1024,
        }
    }
}

/// One node of the call tree: its frame, its parent, its live sampled bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    pub parent: u32,
    pub frame: u32,
    pub self_size: u64,
    /// V8's node id, which samples refer to.
    pub id: u64,
}

/// One live sample: its node (an index into the nodes), its size, and its
/// ordinal (V8 numbers every sample it takes, so ordinals order the
/// allocations of one profiling session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sample {
    pub node: u32,
    pub size: u64,
    pub ordinal: u64,
}

/// A parsed profile: the call tree and its live samples (empty when the
/// file has none, as hand-written profiles may).
#[derive(Debug, Default)]
pub(crate) struct Profile {
    pub nodes: Vec<Node>,
    pub samples: Vec<Sample>,
}

pub(crate) const NO_PARENT: u32 = u32::MAX;

/// Frames are interned across all profiles of one analysis so stacks compare
/// as integer vectors.
#[derive(Debug, Default)]
pub(crate) struct FrameTable {
    pub frames: Vec<Frame>,
    index: HashMap<Frame, u32>,
}

impl FrameTable {
    fn intern(&mut self, f: Frame) -> u32 {
        if let Some(&i) = self.index.get(&f) {
            return i;
        }
        let i = self.frames.len() as u32;
        self.frames.push(f.clone());
        self.index.insert(f, i);
        i
    }
}

enum Ctx {
    Fields(u32),
    Children(u32),
}

fn bad(msg: impl Into<String>) -> HeapError {
    HeapError::new(HeapErrorKind::Profile, msg)
}

/// Classifies lexer errors as profile errors, keeping I/O and size kinds.
fn as_profile(e: HeapError) -> HeapError {
    match e.kind {
        HeapErrorKind::Io | HeapErrorKind::TooLarge => e,
        _ => bad(format!("not a sampling heap profile: {}", e.message)),
    }
}

struct Reader<'a, R: BufRead> {
    lex: Lexer<R>,
    limits: ProfileLimits,
    frames: &'a mut FrameTable,
    nodes: Vec<Node>,
    /// (node id, size, ordinal) as read; resolved to node indices at the end.
    raw_samples: Vec<(u64, u64, u64)>,
    buf: Vec<u8>,
}

impl<R: BufRead> Reader<'_, R> {
    fn key(&mut self) -> Result<String, HeapError> {
        self.lex
            .read_string(&mut self.buf, self.limits.max_string)?;
        let k = String::from_utf8_lossy(&self.buf).into_owned();
        self.lex.expect(b':', "after an object key")?;
        Ok(k)
    }

    fn number(&mut self) -> Result<f64, HeapError> {
        let mut raw = Vec::new();
        self.lex.skip_value(Some(&mut raw), 64)?;
        std::str::from_utf8(&raw)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .ok_or_else(|| bad("expected a number in the profile"))
    }

    fn string(&mut self) -> Result<String, HeapError> {
        if self.lex.peek()? != Some(b'"') {
            return Err(bad("expected a string in a callFrame"));
        }
        self.lex
            .read_string(&mut self.buf, self.limits.max_string)?;
        Ok(String::from_utf8_lossy(&self.buf).into_owned())
    }

    /// `{ functionName, scriptId, url, lineNumber, columnNumber }`.
    fn call_frame(&mut self) -> Result<u32, HeapError> {
        self.lex.expect(b'{', "at the start of a callFrame")?;
        let mut f = Frame::default();
        loop {
            match self.lex.peek()? {
                Some(b'}') => {
                    self.lex.next_token("a callFrame")?;
                    return Ok(self.frames.intern(f));
                }
                Some(b',') => {
                    self.lex.next_token("a callFrame")?;
                }
                _ => match self.key()?.as_str() {
                    "functionName" => f.function_name = self.string()?,
                    "url" => f.url = self.string()?,
                    "lineNumber" => f.line = self.number()? as i64,
                    "columnNumber" => f.column = self.number()? as i64,
                    _ => self.lex.skip_value(None, 0)?,
                },
            }
        }
    }

    fn new_node(&mut self, parent: u32) -> Result<u32, HeapError> {
        if self.nodes.len() >= self.limits.max_nodes {
            return Err(HeapError::too_large(format!(
                "heap profile has more than {} nodes",
                self.limits.max_nodes
            )));
        }
        self.nodes.push(Node {
            parent,
            frame: u32::MAX,
            self_size: 0,
            id: u64::MAX,
        });
        Ok((self.nodes.len() - 1) as u32)
    }

    /// One step inside a node object: a key and its value, a comma, or `}`.
    fn field_step(&mut self, idx: u32, stack: &mut Vec<Ctx>) -> Result<(), HeapError> {
        match self.lex.peek()? {
            Some(b'}') => {
                self.lex.next_token("a node")?;
                stack.pop();
            }
            Some(b',') => {
                self.lex.next_token("a node")?;
            }
            _ => match self.key()?.as_str() {
                "callFrame" => {
                    let f = self.call_frame()?;
                    if let Some(n) = self.nodes.get_mut(idx as usize) {
                        n.frame = f;
                    }
                }
                "selfSize" => {
                    let v = self.number()?;
                    if v < 0.0 {
                        return Err(bad("negative selfSize in the profile"));
                    }
                    if let Some(n) = self.nodes.get_mut(idx as usize) {
                        n.self_size = v as u64;
                    }
                }
                "id" => {
                    let v = self.number()?;
                    if let Some(n) = self.nodes.get_mut(idx as usize) {
                        n.id = v as u64;
                    }
                }
                "children" => {
                    self.lex.expect(b'[', "at the start of children")?;
                    stack.push(Ctx::Children(idx));
                }
                _ => self.lex.skip_value(None, 0)?,
            },
        }
        Ok(())
    }

    fn children_step(&mut self, idx: u32, stack: &mut Vec<Ctx>) -> Result<(), HeapError> {
        match self.lex.next_token("a children array")? {
            b']' => {
                stack.pop();
            }
            b',' => {}
            b'{' => {
                if stack.len() >= self.limits.max_depth {
                    return Err(HeapError::too_large(format!(
                        "heap profile nests deeper than {} frames",
                        self.limits.max_depth
                    )));
                }
                let child = self.new_node(idx)?;
                stack.push(Ctx::Fields(child));
            }
            _ => return Err(bad("expected a node object in children")),
        }
        Ok(())
    }

    fn tree(&mut self) -> Result<(), HeapError> {
        if !self.nodes.is_empty() {
            return Err(bad("the profile has two heads"));
        }
        self.lex.expect(b'{', "at the start of head")?;
        let root = self.new_node(NO_PARENT)?;
        let mut stack = vec![Ctx::Fields(root)];
        while let Some(top) = stack.last() {
            match *top {
                Ctx::Fields(i) => self.field_step(i, &mut stack)?,
                Ctx::Children(i) => self.children_step(i, &mut stack)?,
            }
        }
        Ok(())
    }

    /// `samples: [{ size, nodeId, ordinal }]`, bounded like the nodes.
    fn samples(&mut self) -> Result<(), HeapError> {
        self.lex.expect(b'[', "at the start of samples")?;
        loop {
            match self.lex.next_token("the samples")? {
                b']' => return Ok(()),
                b',' => {}
                b'{' => {
                    if self.raw_samples.len() >= self.limits.max_nodes {
                        return Err(HeapError::too_large(format!(
                            "heap profile has more than {} samples",
                            self.limits.max_nodes
                        )));
                    }
                    let s = self.sample()?;
                    self.raw_samples.push(s);
                }
                _ => return Err(bad("expected a sample object in samples")),
            }
        }
    }

    /// The fields of one sample, after its `{`.
    fn sample(&mut self) -> Result<(u64, u64, u64), HeapError> {
        let (mut size, mut node, mut ordinal) = (None, None, None);
        loop {
            match self.lex.peek()? {
                Some(b'}') => {
                    self.lex.next_token("a sample")?;
                    break;
                }
                Some(b',') => {
                    self.lex.next_token("a sample")?;
                }
                _ => {
                    let key = self.key()?;
                    let slot = match key.as_str() {
                        "size" => &mut size,
                        "nodeId" => &mut node,
                        "ordinal" => &mut ordinal,
                        _ => {
                            self.lex.skip_value(None, 0)?;
                            continue;
                        }
                    };
                    let v = self.number()?;
                    if v < 0.0 {
                        return Err(bad(format!("negative {key} in a sample")));
                    }
                    *slot = Some(v as u64);
                }
            }
        }
        match (node, size, ordinal) {
            (Some(n), Some(s), Some(o)) => Ok((n, s, o)),
            _ => Err(bad("a sample lacks size, nodeId or ordinal")),
        }
    }

    /// Samples by node index. A sample naming no node of the tree is left
    /// out: V8 wrote such a profile under the watchdog (a sample taken while
    /// the tree was being read), and the sizes come from the tree anyway;
    /// the samples only order allocations in time (cutover.rs).
    fn resolve_samples(&mut self) -> Result<Vec<Sample>, HeapError> {
        let index: HashMap<u64, u32> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.id != u64::MAX)
            .map(|(i, n)| (n.id, i as u32))
            .collect();
        Ok(self
            .raw_samples
            .iter()
            .filter_map(|&(id, size, ordinal)| {
                index.get(&id).map(|&node| Sample {
                    node,
                    size,
                    ordinal,
                })
            })
            .collect())
    }

    fn document(&mut self) -> Result<(), HeapError> {
        self.lex.expect(b'{', "at the start of the profile")?;
        loop {
            match self.lex.peek()? {
                Some(b'}') => {
                    self.lex.next_token("the profile")?;
                    break;
                }
                Some(b',') => {
                    self.lex.next_token("the profile")?;
                }
                Some(b'"') => match self.key()?.as_str() {
                    "head" => self.tree()?,
                    "samples" => self.samples()?,
                    _ => self.lex.skip_value(None, 0)?,
                },
                Some(_) => return Err(bad("expected a key in the profile object")),
                None => return Err(HeapError::truncated("the profile ended early")),
            }
        }
        if self.nodes.is_empty() {
            return Err(bad("the profile has no head (not a sampling heap profile)"));
        }
        if self.nodes.iter().any(|n| n.frame == u32::MAX) {
            return Err(bad("a profile node has no callFrame"));
        }
        Ok(())
    }
}

/// Parses one profile; frames are interned into `frames`.
pub(crate) fn parse_profile<R: BufRead>(
    reader: R,
    limits: ProfileLimits,
    frames: &mut FrameTable,
) -> Result<Profile, HeapError> {
    let mut r = Reader {
        lex: Lexer::new(reader, false),
        limits,
        frames,
        nodes: Vec::new(),
        raw_samples: Vec::new(),
        buf: Vec::new(),
    };
    r.document().map_err(as_profile)?;
    let samples = r.resolve_samples()?;
    Ok(Profile {
        nodes: r.nodes,
        samples,
    })
}
