//! Artifact bodies by type, each bounded (see the caps in `respond`):
//! markdown (and link artifacts, which the SDK stores as markdown) is
//! rendered and sanitised by ammonia (no script, no event handlers, no
//! `javascript:`); tables, progress, images and JSON are built with maud,
//! which escapes every value it is given.

use maud::{html, Markup, PreEscaped};
use serde_json::Value;

use super::respond::{Budget, MAX_DEPTH, MAX_HTML, MAX_MARKDOWN, MAX_PRETTY, PAGE_FULL};

/// Rows of a table shown at once; the artifact page pages through the rest.
pub const MAX_TABLE_ROWS: usize = 500;
pub const MAX_TABLE_COLS: usize = 64;

/// A rendered body, and for a table how many rows it has in all.
pub struct Body {
    pub html: Markup,
    pub table_rows: Option<usize>,
}

impl Body {
    fn plain(html: Markup) -> Body {
        Body { html, table_rows: None }
    }
}

/// What the page around a body decides about it.
pub struct Opts<'a> {
    /// Alt text for an image artifact (from its description).
    pub alt: &'a str,
    /// The first table row to show (0-based).
    pub rows_from: usize,
}

pub fn kib(n: usize) -> String {
    format!("{} KiB", n.div_ceil(1024))
}

/// The body of an artifact by type; `data` is its stored JSON text. Err
/// says why it is beyond the caps.
pub fn render_data(kind: Option<&str>, data: Option<&str>, o: &Opts, b: &mut Budget) -> Result<Body, String> {
    let Some(text) = data else { return Ok(Body::plain(html! { p.desc { "(no data)" } })) };
    if text.len() > b.item_data {
        return Err(format!("{} of data, more than {}", kib(text.len()), kib(b.item_data)));
    }
    if !Budget::spend(&mut b.data, text.len()) {
        return Err(PAGE_FULL.into());
    }
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return Ok(Body::plain(pre(text))),
    };
    let table_of = |t: &Value| -> Result<Body, String> {
        match table(t, o.rows_from) {
            Some(r) => r,
            None => Ok(Body::plain(pre_json(t))),
        }
    };
    Ok(match (kind.unwrap_or(""), &v) {
        ("markdown" | "link", Value::String(s)) => Body::plain(markdown(s, b)?),
        ("image", Value::String(s)) => {
            let t = s.trim();
            let web = (t.starts_with("http://") || t.starts_with("https://")) && !t.contains(char::is_whitespace);
            // A data: image cannot run script in an <img>; the fixture's
            // images are such, so a demo needs no network.
            if web || t.starts_with("data:image/") {
                Body::plain(image(t, o.alt, web))
            } else {
                Body::plain(markdown(s, b)?)
            }
        }
        ("table", Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(t) => table_of(&t)?,
            Err(_) => Body::plain(pre(s)),
        },
        ("table", t) => table_of(t)?,
        ("progress", _) => Body::plain(match number(&v) {
            Some(n) => progress(n),
            None => pre_json(&v),
        }),
        (_, Value::String(s)) => Body::plain(pre(s)),
        _ => Body::plain(pre_json(&v)),
    })
}

fn image(url: &str, alt: &str, web: bool) -> Markup {
    html! {
        figure.image {
            a href=(url) { img src=(url) alt=(alt); }
            @if web { figcaption { a.url href=(url) title=(url) { (url) } } }
        }
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn progress(n: f64) -> Markup {
    let clamped = if n.is_finite() { n.clamp(0.0, 100.0) } else { 0.0 };
    html! {
        div.progress {
            progress max="100" value=(clamped) { (n) "%" }
            span.pct { (n) "%" }
        }
    }
}

fn pre(s: &str) -> Markup {
    html! { pre { (s) } }
}

/// Pretty when that stays under `MAX_PRETTY` (deep data indents every line
/// by its depth, up to a hundredfold its size), else compact.
fn pre_json(v: &Value) -> Markup {
    let mut w = Capped { buf: Vec::new(), left: MAX_PRETTY };
    match serde_json::to_writer_pretty(&mut w, v) {
        Ok(()) => pre(&String::from_utf8_lossy(&w.buf)),
        Err(_) => pre(&v.to_string()),
    }
}

/// A writer that fails once it has taken `left` bytes.
struct Capped {
    buf: Vec<u8>,
    left: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if b.len() > self.left {
            return Err(std::io::Error::other("over the cap"));
        }
        self.left -= b.len();
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A cell's text, and whether it is a number (right-aligned).
fn cell(v: Option<&Value>) -> (String, bool) {
    match v {
        None | Some(Value::Null) => (String::new(), false),
        Some(Value::String(s)) => (s.clone(), false),
        Some(Value::Number(n)) => (n.to_string(), true),
        Some(other) => (other.to_string(), false),
    }
}

/// A list of row objects, a dict of column lists, or a list of lists; None
/// for any other shape, Err when wider than `MAX_TABLE_COLS`. Shows
/// `MAX_TABLE_ROWS` rows from `from`.
fn table(v: &Value, from: usize) -> Option<Result<Body, String>> {
    let too_wide = || Some(Err(format!("more than {MAX_TABLE_COLS} columns")));
    let mut head: Vec<String> = Vec::new();
    let mut rows: Vec<Vec<(String, bool)>> = Vec::new();
    let total_rows;
    match v {
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            for it in items {
                for k in it.as_object()?.keys() {
                    if !head.contains(k) {
                        // The check above is linear in the columns: capped.
                        if head.len() == MAX_TABLE_COLS {
                            return too_wide();
                        }
                        head.push(k.clone());
                    }
                }
            }
            total_rows = items.len();
            for it in items.iter().skip(from).take(MAX_TABLE_ROWS) {
                rows.push(head.iter().map(|k| cell(it.get(k))).collect());
            }
        }
        Value::Array(items) if items.iter().all(Value::is_array) && !items.is_empty() => {
            total_rows = items.len();
            if items.iter().any(|it| it.as_array().is_some_and(|c| c.len() > MAX_TABLE_COLS)) {
                return too_wide();
            }
            for it in items.iter().skip(from).take(MAX_TABLE_ROWS) {
                rows.push(it.as_array()?.iter().map(|c| cell(Some(c))).collect());
            }
        }
        Value::Object(cols) if cols.values().all(Value::is_array) && !cols.is_empty() => {
            if cols.len() > MAX_TABLE_COLS {
                return too_wide();
            }
            head = cols.keys().cloned().collect();
            total_rows = cols.values().filter_map(Value::as_array).map(Vec::len).max().unwrap_or(0);
            for i in from..total_rows.min(from.saturating_add(MAX_TABLE_ROWS)) {
                rows.push(cols.values().map(|c| cell(c.as_array().and_then(|a| a.get(i)))).collect());
            }
        }
        Value::Array(items) if items.is_empty() => {
            return Some(Ok(Body { html: html! { p.desc { "(empty table)" } }, table_rows: Some(0) }))
        }
        _ => return None,
    }
    let shown_to = from.saturating_add(rows.len());
    let html = html! {
        div.table-wrap {
            table {
                @if !head.is_empty() {
                    thead { tr { @for h in &head { th scope="col" { (h) } } } }
                }
                tbody {
                    @for r in &rows {
                        tr { @for (text, num) in r { @if *num { td.num { (text) } } @else { td { (text) } } } }
                    }
                }
            }
        }
        @if total_rows > shown_to || from > 0 {
            p.desc.rows { "Rows " (from.min(total_rows) + usize::from(!rows.is_empty())) "–" (shown_to) " of " (total_rows) }
        }
    };
    Some(Ok(Body { html, table_rows: Some(total_rows) }))
}

/// Markdown to HTML, sanitised: ammonia keeps a safe list of tags and
/// attributes (no script or style, no `on*` handlers) and URL schemes (no
/// `javascript:`). Headings move two levels down, under the page's `<h1>`
/// and the card's `<h2>`. Err says which cap it is beyond.
pub fn markdown(s: &str, b: &mut Budget) -> Result<Markup, String> {
    use pulldown_cmark::{html, Options, Parser};
    if s.len() > MAX_MARKDOWN {
        return Err(format!("{} of markdown, more than {}", kib(s.len()), kib(MAX_MARKDOWN)));
    }
    if !Budget::spend(&mut b.markdown, s.len()) {
        return Err(PAGE_FULL.into());
    }
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let cancel = &b.cancel;
    let mut raw = String::new();
    html::push_html(&mut raw, Parser::new_ext(s, opts).take_while(|_| !cancel.is_set()));
    if cancel.is_set() {
        return Err("stopped: the client went away".into());
    }
    if raw.len() > MAX_HTML {
        return Err(format!("{} of HTML, more than {}", kib(raw.len()), kib(MAX_HTML)));
    }
    if nests_deeper(&raw, MAX_DEPTH) {
        return Err(format!("nested more than {MAX_DEPTH} elements deep"));
    }
    if !Budget::spend(&mut b.html, raw.len()) {
        return Err(PAGE_FULL.into());
    }
    let clean = sanitizer().clean(&raw).to_string();
    Ok(PreEscaped(demote_headings(&clean)))
}

/// ammonia's defaults, and `data:` URLs only as an `<img>`'s `src` with an
/// image type (an image cannot run script; the demo's markdown embeds its
/// chart so). Any other `data:` URL is dropped: the check reads the value
/// as a URL parser does (no tab or newline anywhere, no leading controls).
fn sanitizer() -> &'static ammonia::Builder<'static> {
    static B: std::sync::OnceLock<ammonia::Builder<'static>> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_url_schemes(["data"]);
        b.attribute_filter(|element, attribute, value| {
            let url: String = value.trim_start_matches(|c: char| c <= ' ').chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
            let starts = |p: &str| url.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
            if !starts("data:") || (element == "img" && attribute == "src" && starts("data:image/")) {
                Some(value.into())
            } else {
                None
            }
        });
        b
    })
}

/// `<hN` and `</hN` become N+2 (at most 6). Only for ammonia's output: it
/// escapes every `<` in text, so each `<h` it leaves opens a real tag.
fn demote_headings(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("<") {
        out.push_str(&rest[..i]);
        let tag = &rest[i..];
        let slash = usize::from(tag.as_bytes().get(1) == Some(&b'/'));
        let b = tag.as_bytes();
        let (h, d, after) = (b.get(1 + slash), b.get(2 + slash), b.get(3 + slash));
        let heading = matches!(h, Some(b'h' | b'H'))
            && matches!(d, Some(b'1'..=b'6'))
            && matches!(after, Some(b'>' | b' ' | b'\t' | b'\n' | b'/'));
        if let (true, Some(d)) = (heading, d) {
            let level = ((d - b'0') + 2).min(6);
            out.push_str(if slash == 1 { "</h" } else { "<h" });
            out.push(char::from(b'0' + level));
            rest = &tag[3 + slash..];
        } else {
            out.push('<');
            rest = &tag[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Whether `html` may open more than `limit` elements one inside another
/// when parsed (ammonia's parser costs time per element in proportion to
/// its depth). Errs on the deep side: an end tag closes only the element on
/// top, so mis-nested or unclosed tags only add (that covers the parser
/// reopening unclosed `<b>`s in every later paragraph); markdown's own HTML
/// is well nested and counts exactly. Void elements never nest, and a
/// `<p>`, `<li>`, `<td>`... directly inside one of its kind replaces it,
/// as the parser does.
pub fn nests_deeper(html: &str, limit: usize) -> bool {
    const VOID: &[&str] = &[
        "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input", "keygen", "link", "meta",
        "param", "source", "track", "wbr",
    ];
    const SIBLINGS: &[&[&str]] = &[&["p"], &["li"], &["dt", "dd"], &["td", "th"], &["tr"], &["option"], &["rb", "rt", "rp", "rtc"]];
    let is = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let family = |name: &str| SIBLINGS.iter().find(|f| f.iter().any(|m| is(m, name)));
    let bytes = html.as_bytes();
    let mut open: Vec<&str> = Vec::new();
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&c| c == b'<') {
        i += off + 1;
        let close = bytes.get(i) == Some(&b'/');
        let start = i + usize::from(close);
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'-') {
            end += 1;
        }
        if end == start || !bytes[start].is_ascii_alphabetic() {
            continue;
        }
        // ASCII on both sides, so char boundaries.
        let name = &html[start..end];
        i = end;
        if VOID.iter().any(|v| is(v, name)) {
            continue;
        }
        let top = open.last().copied();
        if close {
            if top.is_some_and(|t| is(t, name)) {
                open.pop();
            }
            continue;
        }
        // A row starts by closing the cell it is in, then the row.
        if is(name, "tr") && top.is_some_and(|t| is(t, "td") || is(t, "th")) {
            open.pop();
        }
        if let (Some(t), Some(f)) = (open.last(), family(name)) {
            if f.iter().any(|m| is(m, t)) {
                open.pop();
            }
        }
        open.push(name);
        if open.len() > limit {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::respond::{Cancel, MAX_DATA, MAX_LIST_DATA, PAGE_LIST_DATA};
    use super::*;
    use serde_json::{json, Map};

    fn budget() -> Budget {
        Budget::page(Cancel::default())
    }

    const OPTS: Opts<'static> = Opts { alt: "alt text", rows_from: 0 };

    fn md(s: &str) -> String {
        markdown(s, &mut budget()).unwrap_or_else(|why| panic!("refused: {why}")).into_string()
    }

    fn data(kind: &str, text: &str) -> String {
        render_data(Some(kind), Some(text), &OPTS, &mut budget())
            .unwrap_or_else(|why| panic!("refused: {why}"))
            .html
            .into_string()
    }

    #[test]
    fn markdown_is_sanitised_and_its_headings_sit_under_the_page() {
        let h = md("# Hi\n<script>alert(1)</script><img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n<h1 title=t>raw</h1>\n\n###### six");
        assert!(h.contains("<h3>Hi</h3>"), "{h}");
        assert!(h.contains("<h3 title=\"t\">raw</h3>") && h.contains("<h6>six</h6>"), "{h}");
        assert!(!h.contains("<h1") && !h.contains("<h2"), "{h}");
        assert!(!h.contains("script") && !h.contains("onerror") && !h.contains("javascript:"), "{h}");
        assert_eq!(demote_headings("a &lt;h1&gt; <hr> <h2>x</h2> <header>"), "a &lt;h1&gt; <hr> <h4>x</h4> <header>");
    }

    #[test]
    fn tables_render_rows_and_columns_numbers_right_aligned() {
        let rows = data("table", r#""[{\"a\": 1, \"b\": \"<x>\"}]""#);
        assert!(rows.contains("<th scope=\"col\">a</th>") && rows.contains("<td class=\"num\">1</td>"), "{rows}");
        assert!(rows.contains("<td>&lt;x&gt;</td>"), "{rows}");
        assert!(rows.contains("<div class=\"table-wrap\">"), "{rows}");
        let cols = data("table", r#""{\"r\": [\"EU\", \"NA\"], \"n\": [1, 2]}""#);
        assert!(cols.contains("<th scope=\"col\">r</th>") && cols.contains("<td>NA</td>") && cols.contains(">2</td>"), "{cols}");
    }

    #[test]
    fn long_tables_show_one_window_of_rows() {
        let t = json!((0..1200).map(|i| json!({ "i": i })).collect::<Vec<_>>()).to_string();
        let b = render_data(Some("table"), Some(&t), &Opts { alt: "", rows_from: 500 }, &mut budget()).unwrap();
        let h = b.html.into_string();
        assert_eq!(b.table_rows, Some(1200));
        assert!(h.contains(">500</td>") && h.contains(">999</td>") && !h.contains(">1000</td>") && !h.contains(">499</td>"));
        assert!(h.contains("Rows 501–1000 of 1200"), "{h}");
        let b = render_data(Some("table"), Some(&t), &Opts { alt: "", rows_from: 5000 }, &mut budget()).unwrap();
        assert!(!b.html.into_string().contains("<td"), "past the end: no rows");
        let cols = json!({ "a": (0..600).collect::<Vec<_>>() }).to_string();
        for t in [&t, &cols] {
            let b = render_data(Some("table"), Some(t), &Opts { alt: "", rows_from: usize::MAX }, &mut budget()).unwrap();
            assert!(!b.html.into_string().contains("<td"), "no overflow");
        }
    }

    #[test]
    fn other_types() {
        assert!(data("progress", "42.5").contains("42.5%"));
        let img = data("image", r#""https://e.x/a.png""#);
        assert!(img.contains("<img src=\"https://e.x/a.png\" alt=\"alt text\">"), "{img}");
        let img = data("image", r#""data:image/svg+xml;base64,PHN2Zz4=""#);
        assert!(img.contains("<img src=\"data:image/svg+xml;base64,PHN2Zz4=\" alt=\"alt text\">"), "{img}");
        assert!(data("image", r#""![](https://e.x/a.png)""#).contains("<img src=\"https://e.x/a.png\""));
        // data: only as an image's source
        let h = md("![c](data:image/png;base64,iVBO) [x](data:text/html,<script>x</script>) <a href=\" da\nta:text/html,x\">y</a> <img src=\"data:text/html,x\">");
        assert!(h.contains("<img src=\"data:image/png;base64,iVBO\" alt=\"c\">"), "{h}");
        assert!(!h.contains("text/html"), "{h}");
        assert!(!data("image", r#""javascript:alert(1)""#).contains("javascript:alert(1)\""));
        assert!(data("link", r#""[ex](https://example.com)""#).contains("href=\"https://example.com\""));
        assert_eq!(data("result", r#"{"a":"<b>"}"#), "<pre>{\n  &quot;a&quot;: &quot;&lt;b&gt;&quot;\n}</pre>");
    }

    #[test]
    fn markdown_beyond_its_caps_is_refused() {
        let why = markdown(&"word ".repeat(MAX_MARKDOWN / 5 + 1), &mut budget()).unwrap_err();
        assert!(why.contains("of markdown, more than 64 KiB"), "{why}");
        // Nesting: blockquotes and lists, refused past MAX_DEPTH open elements.
        assert!(md(&"> ".repeat(40)).matches("<blockquote>").count() == 40);
        let why = markdown(&"> ".repeat(MAX_DEPTH + 1), &mut budget()).unwrap_err();
        assert!(why.contains("nested more than 64"), "{why}");
        let list = |n: usize| (0..n).map(|d| format!("{}- a\n", "  ".repeat(d))).collect::<String>();
        assert!(md(&list(20)).matches("<ul>").count() == 20);
        assert!(markdown(&list(40), &mut budget()).unwrap_err().contains("nested"));
        assert!(markdown(&"<div>".repeat(MAX_DEPTH + 1), &mut budget()).unwrap_err().contains("nested"));
        // HTML that grows past its cap: a table of tiny cells.
        let mut t = String::from("|a|b|\n|-|-|\n");
        while t.len() < 60 * 1024 {
            t.push_str("|x|y|\n");
        }
        assert!(markdown(&t, &mut budget()).unwrap_err().contains("of HTML, more than 256 KiB"));
    }

    #[test]
    fn nesting_counts_as_a_parser_would_or_deeper() {
        let deep = |s: &str| nests_deeper(s, 8);
        assert!(!deep(&"<div><span>x</span></div>".repeat(100)), "siblings do not nest");
        assert!(deep(&"<div>".repeat(9)));
        assert!(!deep(&"<div>".repeat(8)));
        assert!(deep(&"<DIV></span>".repeat(9)), "a stray end tag closes nothing");
        assert!(deep(&"<p><b class=x>x</p>".repeat(9)), "the parser reopens unclosed <b>s");
        assert!(!deep(&"<p>a<br><img src=x><hr>".repeat(100)), "p replaces p; void elements");
        assert!(!deep(&format!("<ul>{}</ul>", "<li>a".repeat(100))));
        assert!(!deep(&format!("<table>{}</table>", "<tr><td>a<td>b<th>c".repeat(100))));
        assert!(!deep(&"<!-- x --><!doctype html>< div>a < b".repeat(100)));
        assert!(!deep("<"));
        assert!(!deep("<é<ü/"));
    }

    #[test]
    fn a_page_stops_rendering_bodies_when_its_budget_is_spent() {
        let mut b = budget();
        let chunk = "word ".repeat(60 * 1024 / 5);
        assert!(markdown(&chunk, &mut b).is_ok());
        assert!(markdown(&chunk, &mut b).is_ok());
        assert_eq!(markdown(&chunk, &mut b).unwrap_err(), PAGE_FULL);
        let result = |text: &str, b: &mut Budget| render_data(Some("result"), Some(text), &OPTS, b).map(|_| ());
        let mut b = budget();
        let big = format!("\"{}\"", "x".repeat(MAX_DATA - 10));
        assert!(result(&big, &mut b).is_ok());
        assert!(result(&big, &mut b).is_ok());
        assert_eq!(result(&big, &mut b).unwrap_err(), PAGE_FULL);
        // A list page: smaller caps.
        let mut b = budget();
        b.list();
        let why = result(&big, &mut b).unwrap_err();
        assert!(why.contains("more than 64 KiB"), "{why}");
        let small = format!("\"{}\"", "x".repeat(MAX_LIST_DATA - 10));
        for _ in 0..PAGE_LIST_DATA / MAX_LIST_DATA {
            assert!(result(&small, &mut b).is_ok());
        }
        assert_eq!(result(&small, &mut b).unwrap_err(), PAGE_FULL);
    }

    #[test]
    fn data_and_tables_beyond_their_caps_are_refused() {
        let refused = |kind: &str, text: &str| render_data(Some(kind), Some(text), &OPTS, &mut budget()).err().unwrap_or_default();
        let huge = format!("\"{}\"", "x".repeat(MAX_DATA));
        let why = refused("markdown", &huge);
        assert!(why.contains("of data, more than 1024 KiB"), "{why}");
        let wide: Map<String, Value> = (0..=MAX_TABLE_COLS).map(|i| (format!("c{i}"), json!(i))).collect();
        let cols: Map<String, Value> = (0..=MAX_TABLE_COLS).map(|i| (format!("c{i}"), json!([i]))).collect();
        for t in [json!([wide]), Value::Object(cols), json!([vec![1; MAX_TABLE_COLS + 1]])] {
            let why = refused("table", &t.to_string());
            assert!(why.contains("more than 64 columns"), "{why}");
        }
        // As wide as allowed renders.
        assert!(data("table", &json!([vec![1; MAX_TABLE_COLS]]).to_string()).contains(">1</td>"));
    }

    #[test]
    fn deep_json_is_pretty_only_while_small() {
        let deep = format!("{}{}{}", "[".repeat(100), vec!["1"; 20_000].join(","), "]".repeat(100));
        let html = data("result", &deep);
        assert!(!html.contains('\n') && html.len() < deep.len() + 20, "compact: {}", html.len());
        assert!(data("result", "[[1]]").contains("\n    1\n"));
    }

    #[test]
    fn a_render_stops_once_the_client_has_gone() {
        let mut b = budget();
        drop(b.cancel.stop_on_drop());
        assert!(markdown("# hi", &mut b).unwrap_err().contains("went away"));
    }
}
