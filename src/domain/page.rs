//! Offset paging: which slice of a list is asked for, and the slice with the list's size.

/// `skip`/`limit` of a list request, within the contract's bounds (`skip >= 0`,
/// `1 <= limit <= 100`; the HTTP layer reads and checks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub skip: i64,
    pub limit: i64,
}

/// One page of a list and the number of items across all pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}
