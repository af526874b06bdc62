//! `GET /api/admin/settings`: the reference answers its whole settings
//! object, secrets shown as `**********`. Prefect's UI reads it (its sidebar
//! and feature flags) and clients may too, so artifactd answers the same
//! keys in the same order (`data/admin_settings.json`, Prefect 3.9.1's
//! defaults) with the values that describe artifactd itself filled in: the
//! address it answers on, its CORS lists, whether Prefect's UI is served,
//! and whether an auth string is set, never the string itself.

use std::sync::OnceLock;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::access::AccessSettings;

const TEMPLATE: &str = include_str!("data/admin_settings.json");
/// How the reference shows any secret that has a value.
const OBSCURED: &str = "**********";

pub fn endpoints() -> Vec<super::Endpoint> {
    vec![super::endpoint(actix_web::http::Method::GET, "/admin/settings", super::Rule::READ, read_settings)]
}

fn template() -> &'static Value {
    static T: OnceLock<Value> = OnceLock::new();
    T.get_or_init(|| serde_json::from_str(TEMPLATE).unwrap_or_else(|_| json!({})))
}

/// Prefect's home as a client on this machine would resolve it:
/// `PREFECT_HOME`, else `~/.prefect`.
fn prefect_home() -> String {
    if let Some(h) = std::env::var_os("PREFECT_HOME").filter(|h| !h.is_empty()) {
        return h.to_string_lossy().into_owned();
    }
    let home = std::env::var_os("HOME").map(|h| h.to_string_lossy().into_owned()).unwrap_or_default();
    format!("{home}/.prefect")
}

/// Replaces `{home}` in every string of the template.
fn fill_home(v: &mut Value, home: &str) {
    match v {
        Value::String(s) if s.contains("{home}") => *s = s.replace("{home}", home),
        Value::Array(items) => items.iter_mut().for_each(|i| fill_home(i, home)),
        Value::Object(m) => m.values_mut().for_each(|i| fill_home(i, home)),
        _ => {}
    }
}

fn set(v: &mut Value, pointer: &str, value: Value) {
    if let Some(slot) = v.pointer_mut(pointer) {
        *slot = value;
    }
}

pub async fn read_settings(req: HttpRequest) -> HttpResponse {
    let mut s = template().clone();
    fill_home(&mut s, &prefect_home());
    set(&mut s, "/api/ssl_cert_file", std::env::var("SSL_CERT_FILE").map(Value::String).unwrap_or(Value::Null));
    let local = req.app_config().local_addr();
    set(&mut s, "/server/api/host", json!(local.ip().to_string()));
    set(&mut s, "/server/api/port", json!(local.port()));
    if let Some(access) = req.app_data::<web::Data<AccessSettings>>() {
        let secret = access.auth_string.as_ref().map(|_| json!(OBSCURED)).unwrap_or(Value::Null);
        set(&mut s, "/server/api/auth_string", secret);
        set(&mut s, "/server/api/cors_allowed_origins", json!(access.cors_origins));
        set(&mut s, "/server/api/cors_allowed_methods", json!(access.cors_methods));
        set(&mut s, "/server/api/cors_allowed_headers", json!(access.cors_headers));
    }
    // Whether Prefect's own UI (v1 at `/`, v2 at `/v2`) is served.
    let prefect_ui = req.app_data::<web::Data<crate::ui::Mount>>().is_some_and(|m| m.prefect_ui);
    set(&mut s, "/server/ui/enabled", json!(prefect_ui));
    set(&mut s, "/server/ui/v2_enabled", json!(prefect_ui));
    set(&mut s, "/server/ui/api_url", json!(format!("{}api", super::base_url(&req))));
    let graph = super::graph::limits();
    set(&mut s, "/server/flow_run_graph/max_nodes", json!(graph.max_nodes));
    set(&mut s, "/server/flow_run_graph/max_artifacts", json!(graph.max_artifacts));
    HttpResponse::Ok().content_type("application/json").body(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses_and_names_home_only_by_placeholder() {
        let t = template();
        assert!(t.get("server").is_some());
        assert_eq!(t.pointer("/server/database/connection_url"), Some(&json!(OBSCURED)));
        let mut s = t.clone();
        fill_home(&mut s, "/h");
        assert_eq!(s["profiles_path"], json!("/h/profiles.toml"));
        assert!(!s.to_string().contains("{home}"));
    }
}
