//! Prefect's own UI (`--prefect-ui`), served from the user's installation:
//! the v1 build at `/` and the v2 build at `/v2`, as `prefect server start`
//! lays them out, with the `/ui-settings` both read. The files are never
//! copied: each is read on first request, the base-path placeholder the
//! reference rewrites on disk is replaced in memory, and the result cached.
//!
//! Safety: at start-up each build directory is walked once and every
//! regular file inside it recorded by its relative path. A request is
//! answered only from that list, looked up by the path the router decoded,
//! so no spelling of `..`, encoded slashes or symlinks can reach a file
//! outside the build.

pub mod locate;
pub mod serve;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context};

/// Where the built-in pages move when Prefect's UI takes `/`.
pub const BUILTIN_BASE: &str = "/artifactd";

/// The string Prefect's build uses where its base path goes
/// (`prefect.server.api.server.create_ui_app` replaces it when copying).
const PLACEHOLDER: &str = "/PREFECT_UI_SERVE_BASE_REPLACE_PLACEHOLDER";
/// The reference rewrites only these (`replace_placeholder_string_in_files`).
const REWRITTEN_EXTENSIONS: [&str; 5] = [".txt", ".html", ".css", ".js", ".json"];
/// Bounds on what a build may hold, so a DIR pointed at a huge tree fails
/// at start-up instead of filling memory later (a wheel's builds are about
/// 300 files and 17 MB together).
const MAX_FILES: usize = 20_000;
const MAX_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

impl Version {
    pub fn name(self) -> &'static str {
        match self {
            Version::V1 => "v1",
            Version::V2 => "v2",
        }
    }
}

/// A file's answer, once read.
#[derive(Debug)]
pub struct Cached {
    pub body: actix_web::web::Bytes,
    pub etag: String,
}

/// One build, mounted at `base` (`/` or `/v2`).
#[derive(Debug)]
pub struct Bundle {
    pub version: Version,
    pub base: &'static str,
    pub dir: PathBuf,
    /// Every servable file, by its path relative to `dir` (`/`-separated).
    files: HashMap<String, PathBuf>,
    /// Relative paths of the directories that hold an `index.html` (`""`
    /// for the root), which Starlette serves with a trailing-slash redirect.
    index_dirs: Vec<String>,
    cache: Mutex<HashMap<String, Arc<Cached>>>,
}

impl Bundle {
    fn open(version: Version, dir: &Path) -> anyhow::Result<Bundle> {
        let root = dir.canonicalize().with_context(|| format!("--prefect-ui: cannot read {}", dir.display()))?;
        let mut files = HashMap::new();
        let mut bytes = 0u64;
        let mut pending = vec![(root.clone(), String::new())];
        while let Some((d, rel)) = pending.pop() {
            let entries = std::fs::read_dir(&d).with_context(|| format!("--prefect-ui: cannot read {}", d.display()))?;
            for entry in entries {
                let entry = entry?;
                let Some(name) = entry.file_name().to_str().map(String::from) else { continue };
                let rel_path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
                let path = entry.path();
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    pending.push((path, rel_path));
                    continue;
                }
                // A symlinked file is served only if it points inside the
                // build; symlinked directories are not entered (no loops).
                let Ok(real) = path.canonicalize() else { continue };
                if !real.starts_with(&root) || !real.is_file() {
                    continue;
                }
                bytes += std::fs::metadata(&real)?.len();
                files.insert(rel_path, real);
                if files.len() > MAX_FILES || bytes > MAX_BYTES {
                    bail!(
                        "--prefect-ui: {} holds more than {MAX_FILES} files or {} MB; is it a Prefect UI build?",
                        dir.display(),
                        MAX_BYTES / 1024 / 1024
                    );
                }
            }
        }
        if !files.contains_key("index.html") {
            bail!("--prefect-ui: {} has no index.html", dir.display());
        }
        let mut index_dirs: Vec<String> = files
            .keys()
            .filter_map(|k| if k == "index.html" { Some(String::new()) } else { k.strip_suffix("/index.html").map(String::from) })
            .collect();
        index_dirs.sort();
        let base = match version {
            Version::V1 => "/",
            Version::V2 => "/v2",
        };
        Ok(Bundle { version, base, dir: root, files, index_dirs, cache: Mutex::new(HashMap::new()) })
    }

    /// Whether `rel` (relative, no leading slash) names a file of the build.
    pub fn has_file(&self, rel: &str) -> bool {
        self.files.contains_key(rel)
    }

    /// Whether `rel` names a directory holding an `index.html`.
    pub fn is_index_dir(&self, rel: &str) -> bool {
        self.index_dirs.iter().any(|d| d == rel.trim_end_matches('/'))
    }

    /// A file's body (read once, placeholder replaced), or `None` when the
    /// build has no such file.
    pub fn read(&self, rel: &str) -> std::io::Result<Option<Arc<Cached>>> {
        let Some(path) = self.files.get(rel) else { return Ok(None) };
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(rel).cloned()) {
            return Ok(Some(hit));
        }
        let raw = std::fs::read(path)?;
        let body = if REWRITTEN_EXTENSIONS.iter().any(|e| rel.ends_with(e)) {
            match String::from_utf8(raw) {
                Ok(text) => text.replace(PLACEHOLDER, self.base.trim_end_matches('/')).into_bytes(),
                Err(e) => e.into_bytes(),
            }
        } else {
            raw
        };
        let etag = format!("\"{:016x}-{:x}\"", fnv1a(&body), body.len());
        let cached = Arc::new(Cached { body: body.into(), etag });
        if let Ok(mut c) = self.cache.lock() {
            c.insert(rel.to_string(), cached.clone());
        }
        Ok(Some(cached))
    }
}

/// A stable 64-bit content hash for ETags (FNV-1a: the same bytes give the
/// same tag in every run, so browser caches survive restarts).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Prefect's UI builds, as served.
#[derive(Debug)]
pub struct PrefectUi {
    pub v1: Option<Bundle>,
    pub v2: Option<Bundle>,
    /// Served for a neutral entry point (`/`) when the browser has no saved
    /// preference: v2, as Prefect 3.9.1's `server.ui.v2_enabled` default.
    pub default_ui: Version,
    /// Where the UI sends its API calls (`PREFECT_UI_API_URL`); `None`
    /// means this server's own `/api`, built from each request.
    pub api_url: Option<String>,
}

impl PrefectUi {
    /// Opens the builds found in `dir` (see [`locate::builds_in`]).
    pub fn open(dir: &Path) -> anyhow::Result<PrefectUi> {
        let builds = locate::builds_in(dir)?;
        let v1 = builds.v1.as_deref().map(|d| Bundle::open(Version::V1, d)).transpose()?;
        let v2 = builds.v2.as_deref().map(|d| Bundle::open(Version::V2, d)).transpose()?;
        let default_ui = match (&v1, &v2) {
            (Some(_), None) => Version::V1,
            _ => Version::V2,
        };
        Ok(PrefectUi { v1, v2, default_ui, api_url: None })
    }

    /// What `--prefect-ui [DIR]` asks for: DIR, or (`auto`) the prefect
    /// package of the `python3` on PATH. Logs what it found.
    pub fn from_arg(arg: &str) -> anyhow::Result<PrefectUi> {
        let mut ui = if is_auto(arg) {
            let (dir, version) = locate::python_prefect("python3", std::time::Duration::from_secs(20))?;
            let ui = PrefectUi::open(&dir)?;
            tracing::info!(package = %dir.display(), prefect = %version, uis = %ui.describe(), "serving Prefect's UI from the python3 on PATH");
            ui
        } else {
            let ui = PrefectUi::open(Path::new(arg))?;
            tracing::info!(dir = %arg, uis = %ui.describe(), "serving Prefect's UI");
            ui
        };
        ui.default_ui = match std::env::var("PREFECT_SERVER_UI_V2_ENABLED").ok().as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("false" | "0" | "no" | "off") if ui.v1.is_some() => Version::V1,
            _ => ui.default_ui,
        };
        ui.api_url = std::env::var("PREFECT_UI_API_URL").ok().filter(|u| !u.is_empty());
        Ok(ui)
    }

    /// `v1 at / (DIR), v2 at /v2 (DIR)`, for the start-up log.
    pub fn describe(&self) -> String {
        self.bundles().map(|b| format!("{} at {} ({})", b.version.name(), b.base, b.dir.display())).collect::<Vec<_>>().join(", ")
    }

    pub fn bundles(&self) -> impl Iterator<Item = &Bundle> {
        self.v1.iter().chain(self.v2.iter())
    }

    pub fn available(&self) -> Vec<Version> {
        self.bundles().map(|b| b.version).collect()
    }

    pub fn bundle(&self, v: Version) -> Option<&Bundle> {
        match v {
            Version::V1 => self.v1.as_ref(),
            Version::V2 => self.v2.as_ref(),
        }
    }
}

/// Whether an `--prefect-ui` / `ARTIFACTD_PREFECT_UI` value means "find it"
/// rather than a directory (a directory so named is given as `./auto`).
pub fn is_auto(arg: &str) -> bool {
    matches!(arg.to_ascii_lowercase().as_str(), "auto" | "1" | "true" | "yes" | "on")
}

/// Whether the value turns the Prefect UI off (an empty or false-like
/// `ARTIFACTD_PREFECT_UI`).
pub fn is_off(arg: &str) -> bool {
    matches!(arg.trim().to_ascii_lowercase().as_str(), "" | "0" | "false" | "no" | "off")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_placeholder_is_replaced_in_text_files_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ui-v2");
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), format!("<base href=\"{PLACEHOLDER}/\">")).unwrap();
        std::fs::write(dir.join("assets/a.png"), PLACEHOLDER).unwrap();
        let b = Bundle::open(Version::V2, &dir).unwrap();
        assert_eq!(&b.read("index.html").unwrap().unwrap().body[..], b"<base href=\"/v2/\">");
        assert_eq!(&b.read("assets/a.png").unwrap().unwrap().body[..], PLACEHOLDER.as_bytes());
        assert!(b.read("assets").unwrap().is_none());
        assert!(b.is_index_dir("") && !b.is_index_dir("assets"));
        let v1 = Bundle::open(Version::V1, &dir).unwrap();
        assert_eq!(&v1.read("index.html").unwrap().unwrap().body[..], b"<base href=\"/\">");
    }

    #[test]
    fn values_meaning_find_it_or_off() {
        assert!(is_auto("auto") && is_auto("1") && !is_auto("./auto"));
        assert!(is_off("") && is_off("0") && !is_off("/x"));
    }
}
