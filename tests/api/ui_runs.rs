//! The run endpoints Prefect's UI calls, over the demo fixture: pages,
//! histories and counts agree with `/filter` and `/count` over the same
//! data, and hostile sizes stay bounded. (Each answer's shape is checked
//! against the reference in the `ui_runs` scenario.)

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, TestApp};

async fn demo() -> TestApp {
    spawn_app_with(vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.json")]).await
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x["id"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

#[tokio::test]
async fn pages_of_the_demo_are_the_filter_answers_in_slices() {
    let app = demo().await;
    for (res, sort) in [("flows", "NAME_ASC"), ("flow_runs", "EXPECTED_START_TIME_DESC"), ("task_runs", "NAME_ASC"), ("deployments", "NAME_DESC")] {
        let all = app.post(&format!("/{res}/filter"), json!({"sort": sort})).await.json();
        let total = all.as_array().map_or(0, Vec::len);
        assert!(total > 0, "{res}: the demo has some");
        let count: usize = app.post(&format!("/{res}/count"), json!({})).await.text.parse().unwrap_or(usize::MAX);
        assert_eq!(count, total, "{res}");
        let mut seen = Vec::new();
        let limit = 4;
        let pages = total.div_ceil(limit);
        for page in 1..=pages + 1 {
            let p = app.post(&format!("/{res}/paginate"), json!({"sort": sort, "limit": limit, "page": page})).await;
            assert_eq!(p.status, 200, "{res} {}", p.text);
            let p = p.json();
            assert_eq!((p["count"].as_u64(), p["limit"].as_u64(), p["pages"].as_u64(), p["page"].as_u64()),
                (Some(total as u64), Some(limit as u64), Some(pages as u64), Some(page as u64)), "{res}");
            seen.extend(ids(&p["results"]));
        }
        assert_eq!(seen, ids(&all), "{res}: the pages, in order, are the filter's answer");
    }
}

#[tokio::test]
async fn history_counts_every_demo_run_expected_in_range_once() {
    let app = demo().await;
    for res in ["flow_runs", "task_runs"] {
        let runs = app.post(&format!("/{res}/filter"), json!({})).await.json();
        let in_range = runs
            .as_array()
            .map_or(0, |a| a.iter().filter(|r| r["expected_start_time"].as_str().is_some_and(|t| ("2026-11-01".."2026-12-31").contains(&t))).count());
        let h = app
            .post(
                &format!("/{res}/history"),
                json!({"history_start": "2026-11-01T00:00:00Z", "history_end": "2026-12-31T00:00:00Z", "history_interval_seconds": 86400}),
            )
            .await;
        assert_eq!(h.status, 200, "{}", h.text);
        let h = h.json();
        let intervals = h.as_array().cloned().unwrap_or_default();
        assert_eq!(intervals.len(), 60);
        let counted: i64 = intervals
            .iter()
            .flat_map(|i| i["states"].as_array().cloned().unwrap_or_default())
            .map(|s| s["count_runs"].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(counted as usize, in_range, "{res}");
    }
}

#[tokio::test]
async fn ui_counts_of_the_demo_agree_with_the_filters() {
    let app = demo().await;
    let runs = app.post("/flow_runs/filter", json!({})).await.json();
    let run_ids = ids(&runs);
    let counts = app.post("/ui/flow_runs/count-task-runs", json!({"flow_run_ids": run_ids})).await.json();
    // Task runs standing for a subflow run are not counted.
    let subflow_parents: Vec<String> =
        runs.as_array().into_iter().flatten().filter_map(|r| r["parent_task_run_id"].as_str().map(str::to_string)).collect();
    for id in &run_ids {
        let tasks = app.post("/task_runs/filter", json!({"flow_runs": {"id": {"any_": [id]}}})).await.json();
        let want = ids(&tasks).iter().filter(|t| !subflow_parents.contains(t)).count();
        assert_eq!(counts[id].as_u64(), Some(want as u64), "{id}");
    }
    let by_state = app.post("/ui/task_runs/count", json!({})).await.json();
    let total: u64 = by_state.as_object().map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
    let all: u64 = app.post("/task_runs/count", json!({})).await.text.parse().unwrap_or(0);
    assert_eq!(total, all);
    let flows = app.post("/flows/filter", json!({})).await.json();
    let flow_ids = ids(&flows);
    let deployments = app.post("/ui/flows/count-deployments", json!({"flow_ids": flow_ids})).await.json();
    let summed: u64 = deployments.as_object().map_or(0, |m| m.values().filter_map(Value::as_u64).sum());
    assert_eq!(summed.to_string(), app.post("/deployments/count", json!({})).await.text);
    let next = app.post("/ui/flows/next-runs", json!({"flow_ids": flow_ids})).await.json();
    for (flow, run) in next.as_object().into_iter().flatten() {
        if !run.is_null() {
            assert_eq!(run["flow_id"].as_str(), Some(flow.as_str()));
            assert_eq!(run["state_type"], "SCHEDULED");
        }
    }
    let dash = app
        .post("/ui/task_runs/dashboard/counts", json!({"task_runs": {"start_time": {"after_": "2026-11-01T00:00:00Z", "before_": "2026-12-31T00:00:00Z"}}}))
        .await
        .json();
    let buckets = dash.as_array().cloned().unwrap_or_default();
    assert_eq!(buckets.len(), 20);
    let finished: u64 = buckets.iter().map(|b| b["completed"].as_u64().unwrap_or(0) + b["failed"].as_u64().unwrap_or(0)).sum();
    assert!(finished > 0 && finished <= all);
}

#[tokio::test]
async fn hostile_sizes_are_bounded() {
    let app = demo().await;
    // A page far past the end reads nothing (no overflow).
    let p = app.post("/flow_runs/paginate", json!({"page": i64::MAX, "limit": 200})).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.json()["results"], json!([]));
    // A century in one-second intervals: 500 intervals, as the reference caps.
    let h = app
        .post("/flow_runs/history", json!({"history_start": "2000-01-01T00:00:00Z", "history_end": "2100-01-01T00:00:00Z", "history_interval_seconds": 1}))
        .await;
    assert_eq!(h.status, 200);
    assert_eq!(h.json().as_array().map(Vec::len), Some(500));
    for bad in [json!("NaN"), json!("inf"), json!(1e300)] {
        let h = app
            .post("/flow_runs/history", json!({"history_start": "2000-01-01T00:00:00Z", "history_end": "2100-01-01T00:00:00Z", "history_interval_seconds": bad}))
            .await;
        assert_eq!(h.status, 422, "{bad}: {}", h.text);
    }
    // JSON's NaN (which Python reads, then crashes on): a 422, nothing read.
    for (path, raw) in [
        ("/flow_runs/paginate", r#"{"page": NaN}"#),
        ("/task_runs/history", r#"{"history_start": "2024-01-01T00:00:00Z", "history_end": "2024-01-02T00:00:00Z", "history_interval_seconds": Infinity}"#),
    ] {
        let r = app.send("POST", path, Some(raw)).await;
        assert_eq!(r.status, 422, "{path}: {}", r.text);
        assert_eq!(r.json()["exception_detail"][0]["type"], "finite_number");
    }
    // A negative limit on the scatter chart reads at most its maximum.
    let s = app.post("/ui/flow_runs/history", json!({"limit": -1})).await;
    assert_eq!(s.status, 200);
    let dl = app.get("/flow_runs/00000000-0000-0000-0000-000000000000/logs/download").await;
    assert_eq!(dl.status, 404);
}
