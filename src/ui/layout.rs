//! The frame of every page (one `<h1>` comes from the page itself), and
//! small pieces shared by pages: times, states, the too-large notice.

use chrono::{DateTime, Utc};
use maud::{html, Markup, DOCTYPE};

use super::Mount;

const CSS: &str = include_str!("style.css");

/// Which tab of the top bar is current.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Latest,
    Keyless,
    None,
}

pub fn layout(m: &Mount, title: &str, nav: Nav, body: Markup) -> Markup {
    let here = |n: Nav| if n == nav { Some("page") } else { None };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · artifactd" }
                style { (maud::PreEscaped(CSS)) }
            }
            body {
                header.top {
                    a.brand href=(m.path("/")) { "artifactd" }
                    nav aria-label="Artifact lists" {
                        a href=(m.path("/")) aria-current=[here(Nav::Latest)] { "Latest by key" }
                        a href=(m.path("/?tab=keyless")) aria-current=[here(Nav::Keyless)] { "Keyless" }
                        @if m.prefect_ui { a href="/" { "Prefect UI" } }
                    }
                }
                main { (body) }
                footer {
                    "artifactd " (env!("CARGO_PKG_VERSION")) " · Prefect " (crate::PREFECT_VERSION)
                    " artifacts API at " a href="/api/health" { "/api" }
                }
            }
        }
    }
}

/// A stored time as `<time>`: relative text ("3 days ago", against `now`),
/// the absolute time in `title` and `datetime`.
pub fn time(stored: &str, now: DateTime<Utc>) -> Markup {
    match crate::timefmt::parse_stored(stored) {
        Some(t) => html! {
            time datetime=(t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
                title=(t.format("%Y-%m-%d %H:%M:%S UTC")) { (relative(t, now)) }
        },
        None => html! { (stored) },
    }
}

/// How long ago (or ahead) `t` is, in its largest whole unit.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    let (n, future) = (secs.unsigned_abs(), secs < 0);
    if n < 45 {
        return "just now".into();
    }
    const UNITS: &[(u64, &str)] =
        &[(365 * 86_400, "year"), (30 * 86_400, "month"), (7 * 86_400, "week"), (86_400, "day"), (3_600, "hour"), (60, "minute")];
    let (size, name) = UNITS.iter().copied().find(|(s, _)| n >= *s).unwrap_or((60, "minute"));
    let k = (n / size).max(1);
    let unit = if k == 1 { name.to_string() } else { format!("{name}s") };
    if future {
        format!("in {k} {unit}")
    } else {
        format!("{k} {unit} ago")
    }
}

/// A run's state as a coloured badge.
pub fn state(state_type: &str, state_name: &str) -> Markup {
    html! { span class={ "state " (state_type.to_ascii_lowercase()) } { (state_name) } }
}

/// In place of a body beyond the caps.
pub fn too_large(id: &str, why: &str) -> Markup {
    html! {
        div.too-large { "Too large to render here (" (why) ") — " a href={ "/api/artifacts/" (id) } { "open raw" } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T00:00:00Z").unwrap().with_timezone(&Utc);
        let ago = |s: i64| relative(now - chrono::Duration::seconds(s), now);
        assert_eq!(ago(10), "just now");
        assert_eq!(ago(60), "1 minute ago");
        assert_eq!(ago(3 * 86_400 + 5), "3 days ago");
        assert_eq!(ago(400 * 86_400), "1 year ago");
        assert_eq!(ago(-7200), "in 2 hours");
        let t = time("2026-11-29T00:00:00.000000Z", now).into_string();
        assert!(t.starts_with("<time datetime=\"2026-11-29T00:00:00.000000Z\" title=\"2026-11-29 00:00:00 UTC\">3 days ago</time>"), "{t}");
        assert_eq!(time("<x>", now).into_string(), "&lt;x&gt;");
    }
}
