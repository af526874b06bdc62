use std::path::PathBuf;

use artifactd::startup::{Application, Settings};
use serde_json::Value;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: artifactd::db::Db,
}

pub struct Reply {
    pub status: u16,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

/// A fresh server on port 0 with a throwaway database, loading `fixtures`.
pub async fn spawn_app_with(fixtures: Vec<PathBuf>) -> TestApp {
    spawn_app_configured(|s| s.fixtures = fixtures).await
}

/// A fresh server on port 0 with a throwaway database and adjusted settings.
pub async fn spawn_app_configured(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings { port: 0, db: ":memory:".into(), ..Settings::default() };
    adjust(&mut settings);
    let app = Application::build(&settings).expect("server builds");
    let base = format!("http://127.0.0.1:{}/api", app.port());
    let db = app.db().clone();
    tokio::spawn(app.into_server());
    TestApp { base, client: reqwest::Client::new(), db }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(vec![]).await
}

impl TestApp {
    pub async fn send(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        let resp = req.send().await.expect("request is answered");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        Reply { status, text }
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(&body.to_string())).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None).await
    }

    /// Creates an artifact and returns its JSON, asserting a 201.
    pub async fn create(&self, body: Value) -> Value {
        let r = self.post("/artifacts/", body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()
    }

    pub async fn latest(&self, key: &str) -> Reply {
        self.get(&format!("/artifacts/{key}/latest")).await
    }

    pub async fn latest_rows(&self, body: Value) -> Vec<Value> {
        let r = self.post("/artifacts/latest/filter", body).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json().as_array().cloned().unwrap_or_default()
    }

    pub async fn rows(&self, body: Value) -> Vec<Value> {
        let r = self.post("/artifacts/filter", body).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json().as_array().cloned().unwrap_or_default()
    }
}

/// Writes `v` to a new temporary file and keeps it alive with the returned guard.
pub fn temp_fixture(v: &Value) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("fixture.json");
    std::fs::write(&p, v.to_string()).expect("write fixture");
    (dir, p)
}
