//! The built-in artifact browser (its pages are rendered in
//! `routes::ui` for now) and where it is mounted.

/// Where the built-in pages live and what they may link to. Registered as
/// app data by `startup`; a page without it uses the default (`/`, no
/// Prefect UI).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mount {
    /// The path prefix of every built-in page: empty (pages at `/`) or,
    /// when Prefect's UI is served at `/`, `/artifactd`. No trailing slash.
    pub base: String,
    /// Whether Prefect's own UI is served, so pages may link to its run
    /// pages (`/runs/flow-run/<id>`, `/runs/task-run/<id>`).
    pub prefect_ui: bool,
}

impl Mount {
    /// A built-in page's path under the base: `path` starts with `/`.
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sit_under_the_base() {
        assert_eq!(Mount::default().path("/ui/keys/a"), "/ui/keys/a");
        let m = Mount { base: "/artifactd".into(), prefect_ui: true };
        assert_eq!(m.path("/"), "/artifactd/");
    }
}
