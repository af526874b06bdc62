//! The built-in pages' endpoints; the pages themselves are `crate::ui`.

/// Entry point for startup and the page table (patterns relative to the
/// mount's base, see `crate::ui::Mount`).
pub fn endpoints() -> Vec<super::Endpoint> {
    crate::ui::endpoints()
}
