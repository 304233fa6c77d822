//! The `snapshot.meta` header: field lists and type names, read dynamically
//! because V8 versions differ (6 or 7 node fields, new node types).

use serde_json::Value;

use super::error::HeapError;

/// What each position of a node or edge record holds.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Role {
    Type,
    Name,
    Id,
    SelfSize,
    EdgeCount,
    ToNode,
    Ignored,
}

/// The parts of `snapshot.meta` the parser needs.
pub(crate) struct Meta {
    pub(crate) node_roles: Vec<Role>,
    pub(crate) edge_roles: Vec<Role>,
    /// Positions of object_index, script_id, line, column in a location record.
    pub(crate) location_slots: [usize; 4],
    pub(crate) location_field_count: usize,
    pub(crate) node_types: Vec<String>,
    pub(crate) edge_types: Vec<String>,
    pub(crate) node_count: Option<u64>,
    pub(crate) edge_count: Option<u64>,
}

fn string_list(v: Option<&Value>, what: &str) -> Result<Vec<String>, HeapError> {
    let arr = v.and_then(Value::as_array).ok_or_else(|| {
        HeapError::invalid(format!("snapshot.meta.{what} is missing or not a list"))
    })?;
    arr.iter()
        .map(|x| {
            x.as_str()
                .map(str::to_owned)
                .ok_or_else(|| HeapError::invalid(format!("snapshot.meta.{what} has a non-string")))
        })
        .collect()
}

fn roles(fields: &[String], what: &str, wanted: &[(&str, Role)]) -> Result<Vec<Role>, HeapError> {
    if fields.is_empty() || fields.len() > 64 {
        return Err(HeapError::invalid(format!(
            "snapshot.meta.{what} has {} fields",
            fields.len()
        )));
    }
    let roles: Vec<Role> = fields
        .iter()
        .map(|f| {
            wanted
                .iter()
                .find(|(name, _)| name == f)
                .map(|(_, r)| *r)
                .unwrap_or(Role::Ignored)
        })
        .collect();
    for (name, role) in wanted {
        if roles.iter().filter(|r| *r == role).count() != 1 {
            return Err(HeapError::invalid(format!(
                "snapshot.meta.{what} must have exactly one `{name}`"
            )));
        }
    }
    Ok(roles)
}

impl Meta {
    pub(crate) fn from_header(header: &[u8]) -> Result<Meta, HeapError> {
        let v: Value = serde_json::from_slice(header)
            .map_err(|e| HeapError::parse(format!("snapshot header: {e}")))?;
        let meta = v
            .get("meta")
            .ok_or_else(|| HeapError::invalid("snapshot.meta is missing"))?;
        let node_fields = string_list(meta.get("node_fields"), "node_fields")?;
        let edge_fields = string_list(meta.get("edge_fields"), "edge_fields")?;
        let node_types = string_list(
            meta.get("node_types").and_then(|t| t.get(0)),
            "node_types[0]",
        )?;
        let edge_types = string_list(
            meta.get("edge_types").and_then(|t| t.get(0)),
            "edge_types[0]",
        )?;
        if node_types.len() > 255 || edge_types.len() > 255 {
            return Err(HeapError::invalid("more than 255 node or edge types"));
        }
        let node_roles = roles(
            &node_fields,
            "node_fields",
            &[
                ("type", Role::Type),
                ("name", Role::Name),
                ("id", Role::Id),
                ("self_size", Role::SelfSize),
                ("edge_count", Role::EdgeCount),
            ],
        )?;
        let edge_roles = roles(
            &edge_fields,
            "edge_fields",
            &[
                ("type", Role::Type),
                ("name_or_index", Role::Name),
                ("to_node", Role::ToNode),
            ],
        )?;
        let location_fields = match meta.get("location_fields") {
            Some(v) => string_list(Some(v), "location_fields")?,
            None => ["object_index", "script_id", "line", "column"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        let mut location_slots = [0usize; 4];
        for (slot, name) in
            location_slots
                .iter_mut()
                .zip(["object_index", "script_id", "line", "column"])
        {
            *slot = location_fields
                .iter()
                .position(|f| f == name)
                .ok_or_else(|| HeapError::invalid(format!("location_fields lacks `{name}`")))?;
        }
        Ok(Meta {
            node_roles,
            edge_roles,
            location_slots,
            location_field_count: location_fields.len(),
            node_types,
            edge_types,
            node_count: v.get("node_count").and_then(Value::as_u64),
            edge_count: v.get("edge_count").and_then(Value::as_u64),
        })
    }
}
