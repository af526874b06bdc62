//! Finding Prefect's UI builds: in a directory the user names, or in the
//! `prefect` package of the `python3` on PATH.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// The two builds a `prefect` wheel ships, where `prefect server start`
/// serves them: v1 at `/`, v2 at `/v2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builds {
    pub v1: Option<PathBuf>,
    pub v2: Option<PathBuf>,
}

/// The directory names a wheel (and the reference's own copies) use for
/// each build, most specific first.
const V1_NAMES: [&str; 3] = ["ui", "ui_build", "v1"];
const V2_NAMES: [&str; 3] = ["ui-v2", "ui_v2_build", "v2"];

fn is_build(dir: &Path) -> bool {
    dir.join("index.html").is_file()
}

fn first_build(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names.iter().map(|n| dir.join(n)).find(|d| is_build(d))
}

/// What a user would naturally pass, in this order:
/// - the `prefect` package directory (holding `server/ui`, `server/ui-v2`);
/// - its `server` directory (holding `ui`, `ui-v2`), or any directory laid
///   out like it, including `PREFECT_UI_STATIC_DIRECTORY`'s `v1`/`v2`;
/// - one UI build (a directory with `index.html`): served as v2 when it is
///   named like the v2 build (`ui-v2`, `ui_v2_build`, `v2`), else as v1.
pub fn builds_in(dir: &Path) -> anyhow::Result<Builds> {
    if !dir.is_dir() {
        bail!("--prefect-ui: {} is not a directory", dir.display());
    }
    for parent in [dir.join("server"), dir.to_path_buf()] {
        let found = Builds { v1: first_build(&parent, &V1_NAMES), v2: first_build(&parent, &V2_NAMES) };
        if found.v1.is_some() || found.v2.is_some() {
            return Ok(found);
        }
    }
    if is_build(dir) {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let single = Some(dir.to_path_buf());
        return Ok(if V2_NAMES.contains(&name) { Builds { v1: None, v2: single } } else { Builds { v1: single, v2: None } });
    }
    bail!(
        "--prefect-ui: no Prefect UI build in {} (expected the prefect package directory, its server/ directory, \
         or a UI build directory holding index.html)",
        dir.display()
    )
}

/// Where the `python3` on PATH has the `prefect` package, and its version.
/// Found without importing prefect (which takes seconds): `find_spec` and
/// the installed distribution's metadata.
pub fn python_prefect(python: &str, timeout: Duration) -> anyhow::Result<(PathBuf, String)> {
    const SCRIPT: &str = "import importlib.util, importlib.metadata, os\n\
        s = importlib.util.find_spec('prefect')\n\
        if s is None or not s.submodule_search_locations: raise SystemExit(3)\n\
        print(list(s.submodule_search_locations)[0])\n\
        try: print(importlib.metadata.version('prefect'))\n\
        except Exception: print('unknown version')\n";
    let hint = "install Prefect (pip install prefect) or pass its directory: --prefect-ui DIR";
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("--prefect-ui: no {python} on PATH to find Prefect's UI in; {hint}"))?;
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            bail!("--prefect-ui: {python} took over {}s to say where prefect is; {hint}", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        s.read_to_string(&mut out)?;
    }
    if !status.success() {
        bail!("--prefect-ui: the {python} on PATH has no prefect package; {hint}");
    }
    let mut lines = out.lines();
    let dir = lines.next().map(str::trim).filter(|l| !l.is_empty()).context("--prefect-ui: python printed no directory")?;
    let version = lines.next().unwrap_or("unknown version").trim().to_string();
    Ok((PathBuf::from(dir), version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("index.html"), "<html></html>").unwrap();
    }

    #[test]
    fn a_package_its_server_dir_or_one_build_is_accepted() {
        let tmp = tempfile::tempdir().unwrap();
        let pkg = tmp.path().join("prefect");
        build(&pkg.join("server/ui"));
        build(&pkg.join("server/ui-v2"));
        let both = Builds { v1: Some(pkg.join("server/ui")), v2: Some(pkg.join("server/ui-v2")) };
        assert_eq!(builds_in(&pkg).unwrap(), both);
        assert_eq!(builds_in(&pkg.join("server")).unwrap(), both);
        assert_eq!(builds_in(&pkg.join("server/ui")).unwrap(), Builds { v1: Some(pkg.join("server/ui")), v2: None });
        assert_eq!(builds_in(&pkg.join("server/ui-v2")).unwrap(), Builds { v1: None, v2: Some(pkg.join("server/ui-v2")) });
        let err = builds_in(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("no Prefect UI build"), "{err}");
        assert!(builds_in(&tmp.path().join("missing")).is_err());
    }

    #[test]
    fn a_python_without_prefect_is_reported() {
        let err = python_prefect("/nonexistent/python3", Duration::from_secs(5)).unwrap_err().to_string();
        assert!(err.contains("--prefect-ui DIR"), "{err}");
    }
}
