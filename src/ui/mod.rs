//! The built-in artifact browser: server-rendered HTML with no scripts and
//! no external assets (one embedded stylesheet), and where it is mounted.
//!
//! - `pages`: the handlers and what each page shows;
//! - `load`: what they read, through the API's own query code;
//! - `render`: artifact bodies by type, bounded and sanitised;
//! - `layout`: the frame, times, states;
//! - `params`: the query string of a list;
//! - `respond`: the load/render split, budgets, cancellation, headers.
//!
//! Pages are rendered with maud, so every value is escaped by type; only
//! ammonia's sanitised markdown goes in unescaped. The pages carry a
//! Content-Security-Policy that forbids scripts, and sit behind the same
//! gate as the API (`Rule::PAGE`, whose auth-string check is constant-time:
//! `access::credentials::secret_eq`).

mod layout;
mod load;
mod pages;
mod params;
mod render;
mod respond;

use crate::routes::{endpoint, Endpoint, Rule, UUID_PATH};

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

/// The pages, relative to the mount's base, registered behind the same
/// gate as the API (`Rule::PAGE`: with an auth string set, the browser is
/// asked for it).
pub fn endpoints() -> Vec<Endpoint> {
    use actix_web::http::Method;
    vec![
        endpoint(Method::GET, "/", Rule::PAGE, pages::index),
        endpoint(Method::GET, "/ui/keys/{key}", Rule::PAGE, pages::key_page),
        endpoint(Method::GET, format!("/ui/artifacts/{{id:{UUID_PATH}}}"), Rule::PAGE, pages::artifact_page),
        endpoint(Method::GET, format!("/ui/flow-runs/{{id:{UUID_PATH}}}"), Rule::PAGE, pages::flow_run_page),
        endpoint(Method::GET, format!("/ui/task-runs/{{id:{UUID_PATH}}}"), Rule::PAGE, pages::task_run_page),
    ]
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
