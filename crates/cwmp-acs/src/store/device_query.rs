//! Device queries: filters, sort and paging.

use super::DeviceId;

/// One condition of a device query; a query is their conjunction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceFilter {
    /// `_id` equals.
    Id(DeviceId),
    /// Has this tag.
    Tag(String),
    /// Does not have this tag.
    NotTag(String),
    /// Parameter at `path` has exactly this value text.
    ParamEquals {
        /// Full path.
        path: String,
        /// Value as text.
        value: String,
    },
    /// Matches a parsed query (see [`crate::query`]).
    Matches(crate::query::Query),
}

/// A device query with paging; results are ordered by `sort`, then by id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceQuery {
    /// Conditions, all of which must hold.
    pub filters: Vec<DeviceFilter>,
    /// Sort keys before the id.
    pub sort: Vec<crate::query::SortKey>,
    /// Skip this many.
    pub skip: u64,
    /// At most this many.
    pub limit: Option<u64>,
}
