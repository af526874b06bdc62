//! A small blocking client of a live Prefect 3 server's REST API, shared by
//! `import` (reads) and `push` (writes): URL normalising, auth headers, one
//! ureq agent with bounded timeouts, and one-line errors.

use std::time::Duration;

use anyhow::bail;
use base64::Engine;
use serde_json::Value;

/// The API base URL: `/api` appended unless the path already has it (Prefect
/// Cloud URLs continue after `/api/`). `flag` names the option in errors.
pub fn api_base(url: &str, flag: &str) -> anyhow::Result<String> {
    let s = url.trim().trim_end_matches('/');
    let Some((scheme, rest)) = s.split_once("://") else {
        bail!("{flag} {url:?} is not an http(s) URL");
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") || rest.is_empty() {
        bail!("{flag} {url:?} is not an http(s) URL");
    }
    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
    if path.ends_with("/api") || path.contains("/api/") {
        Ok(s.to_string())
    } else {
        Ok(format!("{s}/api"))
    }
}

pub struct Client {
    agent: ureq::Agent,
    pub base: String,
    auth: Option<String>,
}

/// A server's answer that was not 2xx, kept whole so the caller can name
/// the row it refused.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Client {
    pub fn new(base: String, api_key: Option<&str>, auth_string: Option<&str>) -> Client {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(300)))
            .user_agent(concat!("artifactd/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let auth = match (api_key.filter(|k| !k.is_empty()), auth_string.filter(|a| !a.is_empty())) {
            (Some(k), _) => Some(format!("Bearer {k}")),
            (None, Some(a)) => Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(a))),
            (None, None) => None,
        };
        Client { agent, base, auth }
    }

    /// One request. `Err` only when there is no answer (unreachable,
    /// timed out, unreadable); any status comes back as `(status, body)`.
    pub fn send(&self, method: &str, path: &str, body: Option<&Value>) -> anyhow::Result<(u16, Vec<u8>)> {
        let url = format!("{}{}", self.base, path);
        let result = match body {
            Some(b) => {
                let mut req = self.agent.post(&url).header("content-type", "application/json");
                if let Some(a) = &self.auth {
                    req = req.header("authorization", a);
                }
                req.send(b.to_string().as_bytes())
            }
            None => {
                let mut req = self.agent.get(&url);
                if let Some(a) = &self.auth {
                    req = req.header("authorization", a);
                }
                req.call()
            }
        };
        let mut resp = result.map_err(|e| anyhow::anyhow!("cannot reach {}: {}", self.base, describe(&e)))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(1 << 31)
            .read_to_vec()
            .map_err(|e| anyhow::anyhow!("{method} {url}: reading the answer failed: {}", describe(&e)))?;
        Ok((status, bytes))
    }

    /// One request; the body of a 2xx answer, or a one-line error.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> anyhow::Result<Vec<u8>> {
        let (status, bytes) = self.send(method, path, body)?;
        match status {
            200..=299 => Ok(bytes),
            _ => Err(self.refused(method, path, status, &bytes)),
        }
    }

    /// The one-line error for a non-2xx answer that is not about one row:
    /// auth refused, not a Prefect API, or the status and a body snippet.
    pub fn refused(&self, method: &str, path: &str, status: u16, bytes: &[u8]) -> anyhow::Error {
        let url = format!("{}{}", self.base, path);
        match status {
            401 | 403 => anyhow::anyhow!(
                "{method} {url} answered {status} {}: give the right --api-key (Prefect Cloud) or --auth-string (self-hosted)",
                if status == 401 { "Unauthorized" } else { "Forbidden" }
            ),
            404 | 405 => anyhow::anyhow!("{method} {url} answered {status}: {} is not a Prefect 3 API", self.base),
            _ => anyhow::anyhow!("{method} {url} answered {status}: {}", snippet(bytes)),
        }
    }

    /// The server's version from `GET /admin/version`: `Ok(None)` where the
    /// admin routes are not served (Prefect Cloud), an error when the answer
    /// is not a Prefect API's.
    pub fn version(&self) -> anyhow::Result<Option<String>> {
        match self.call("GET", "/admin/version", None) {
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::String(v)) => Ok(Some(v)),
                _ => bail!(
                    "GET {}/admin/version answered {}: {} is not a Prefect 3 API",
                    self.base,
                    snippet(&bytes),
                    self.base
                ),
            },
            Err(e) if e.to_string().contains("answered 404") => Ok(None),
            Err(e) => Err(e),
        }
    }
}

pub fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        other => other.to_string(),
    }
}

/// A body on one line, cut at `max` characters.
pub fn snippet_of(bytes: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(bytes);
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return "(empty)".into();
    }
    let cut: String = s.chars().take(max).collect();
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

pub fn snippet(bytes: &[u8]) -> String {
    snippet_of(bytes, 120)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_adds_api_once() {
        assert_eq!(api_base("http://h:4200", "--from").unwrap(), "http://h:4200/api");
        assert_eq!(api_base("http://h:4200/", "--from").unwrap(), "http://h:4200/api");
        assert_eq!(api_base("http://h:4200/api/", "--to").unwrap(), "http://h:4200/api");
        assert_eq!(
            api_base("https://api.prefect.cloud/api/accounts/a/workspaces/w", "--from").unwrap(),
            "https://api.prefect.cloud/api/accounts/a/workspaces/w"
        );
        assert!(api_base("h:4200", "--to").unwrap_err().to_string().starts_with("--to "));
        assert!(api_base("ftp://h", "--from").is_err());
    }
}
