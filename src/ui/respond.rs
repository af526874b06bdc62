//! How a page is answered: the load/render split, render turns, the
//! per-page budget of body work, cancellation when the client leaves, and
//! the headers every page carries (the CSP forbids scripts).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use maud::Markup;
use rusqlite::Connection;

use crate::db::Db;

pub const CSP: &str = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

// Bounded work per artifact body (issue 11). Beyond these a body is not
// rendered: a notice links to its raw JSON instead. Measured on the 2-core
// VMs: pulldown-cmark parses in linear time (under 20 ms for 64 KiB of any
// input tried), but ammonia's HTML parser costs time per element in
// proportion to its depth (a blockquote 10,000 deep took seconds) and runs
// at only 3 to 5 MB/s on element-dense HTML (a 64 KiB markdown table
// becomes 320 KB of HTML and took 100 ms to sanitise).
/// Markdown source.
pub const MAX_MARKDOWN: usize = 64 * 1024;
/// HTML made from one markdown body, the input to ammonia.
pub const MAX_HTML: usize = 256 * 1024;
/// Open elements, one inside the other (a list level is two: `ul`, `li`).
pub const MAX_DEPTH: usize = 64;
/// A stored body's JSON text, parsed (twice for a table in a string).
pub const MAX_DATA: usize = 1024 * 1024;
/// Pretty-printed JSON, which indents each line by its depth.
pub const MAX_PRETTY: usize = 1024 * 1024;
// What all the bodies of one page may spend together (a list shows up to
// 200), so that a page stays near 100 ms at most.
const PAGE_MARKDOWN: usize = 128 * 1024;
const PAGE_HTML: usize = 256 * 1024;
const PAGE_DATA: usize = 2 * 1024 * 1024;
// A list shows each body in a small box, up to 200 of them: smaller caps.
pub const MAX_LIST_DATA: usize = 64 * 1024;
pub const PAGE_LIST_DATA: usize = 512 * 1024;

/// Why a page is not the page asked for: a status and a sentence.
pub type Failure = (StatusCode, String);
/// A rendered page, or why not; `Ok` may still carry a status other than
/// 200 (a page that explains a bad filter is a 400 with the form kept).
pub type Rendered = Result<(StatusCode, Markup), Failure>;

pub fn internal(msg: String) -> Failure {
    (StatusCode::INTERNAL_SERVER_ERROR, msg)
}

pub fn page_response(status: StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("content-security-policy", CSP))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("referrer-policy", "no-referrer"))
        .insert_header(("cache-control", "no-store"))
        .body(html)
}

/// Renders take turns of their own, about half the cores, so that page
/// views (however many) leave CPU for API reads. A page waits for its turn
/// without a thread, and one whose client leaves while waiting never renders.
async fn render_turn() -> Option<tokio::sync::SemaphorePermit<'static>> {
    static TURNS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    TURNS.get_or_init(|| tokio::sync::Semaphore::new((cores / 2).max(1))).acquire().await.ok()
}

/// A page in two steps: `load` reads what the page shows into plain rows,
/// holding a read turn and a reader only for that; `render` then builds the
/// HTML on a blocking thread with the reader back in the pool, so however
/// slow a render is, it never keeps an API read waiting for a reader.
/// `error_page` renders a failure of either step.
pub async fn respond<T: Send + 'static>(
    db: web::Data<Db>,
    load: impl FnOnce(&Connection) -> Result<T, Failure> + Send + 'static,
    render: impl FnOnce(T, Budget) -> Rendered + Send + 'static,
    error_page: impl Fn(Failure) -> HttpResponse,
) -> HttpResponse {
    let loaded = {
        // Pages wait for a reader in the same queue as API reads.
        let _turn = db.read_turn().await;
        let db = db.clone();
        web::block(move || -> Result<T, Failure> {
            let conn = db.reader().map_err(|e| internal(e.to_string()))?;
            load(&conn)
        })
        .await
    };
    let data = match loaded {
        Ok(Ok(data)) => data,
        Ok(Err(failure)) => return error_page(failure),
        Err(e) => return error_page(internal(e.to_string())),
    };
    let Some(_turn) = render_turn().await else {
        return error_page(internal("the page renderer stopped".into()));
    };
    // A client that leaves makes actix drop this future (the server does
    // not keep half-closed connections, see startup), and the guard with
    // it: the render stops at its next check. A page still waiting for its
    // turn above never renders.
    let cancel = Cancel::default();
    let _stop = cancel.stop_on_drop();
    match web::block(move || render(data, Budget::page(cancel))).await {
        Ok(Ok((status, html))) => page_response(status, html.into_string()),
        Ok(Err(failure)) => error_page(failure),
        Err(e) => error_page(internal(e.to_string())),
    }
}

/// Set when the page's client has gone; renders check it between pieces.
#[derive(Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

pub struct StopOnDrop(Cancel);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0 .0.store(true, Ordering::Relaxed);
    }
}

impl Cancel {
    pub fn stop_on_drop(&self) -> StopOnDrop {
        StopOnDrop(self.clone())
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// An error to end a render with once the client has gone (nobody
    /// receives it).
    pub fn check(&self) -> Result<(), Failure> {
        if self.is_set() {
            Err((StatusCode::SERVICE_UNAVAILABLE, "the client went away".into()))
        } else {
            Ok(())
        }
    }
}

/// What the bodies of one page may still spend (see `PAGE_MARKDOWN`).
pub struct Budget {
    pub markdown: usize,
    pub html: usize,
    pub data: usize,
    /// The most data one body may have.
    pub item_data: usize,
    pub cancel: Cancel,
}

pub const PAGE_FULL: &str = "this page has rendered as much as it may; open the artifact on its own";

impl Budget {
    pub fn page(cancel: Cancel) -> Budget {
        Budget { markdown: PAGE_MARKDOWN, html: PAGE_HTML, data: PAGE_DATA, item_data: MAX_DATA, cancel }
    }

    /// The caps of a list page.
    pub fn list(&mut self) {
        self.item_data = MAX_LIST_DATA;
        self.data = self.data.min(PAGE_LIST_DATA);
    }

    /// Takes `n` from `left` if it has that much.
    pub fn spend(left: &mut usize, n: usize) -> bool {
        let ok = n <= *left;
        if ok {
            *left -= n;
        }
        ok
    }
}
