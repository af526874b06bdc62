//! Bad input gets the reference's 4xx bodies and changes nothing. Every
//! expected body below is the one Prefect 3.9.1 answered for the same request.

use serde_json::json;

use crate::helpers::spawn_app;

async fn assert_reply(app: &crate::helpers::TestApp, method: &str, path: &str, body: &str, status: u16, expected: &str) {
    let r = app.send(method, path, Some(body)).await;
    assert_eq!(r.status, status, "{method} {path} {body}: {}", r.text);
    assert_eq!(r.json(), serde_json::from_str::<serde_json::Value>(expected).unwrap(), "{method} {path} {body}");
}

#[tokio::test]
async fn limit_out_of_range_is_a_plain_detail_422() {
    let app = spawn_app().await;
    assert_reply(&app, "POST", "/artifacts/filter", r#"{"limit": 500, "offset": -1}"#, 422,
        r#"{"detail":"Invalid limit: must be less than or equal to 200."}"#).await;
    assert_reply(&app, "POST", "/artifacts/latest/filter", r#"{"limit": -1}"#, 422,
        r#"{"detail":"Invalid limit: must be greater than or equal to 0."}"#).await;
}

#[tokio::test]
async fn body_parameter_errors_come_in_the_reference_order() {
    let app = spawn_app().await;
    assert_reply(&app, "POST", "/artifacts/filter", r#"{"limit": "abc", "offset": -1, "sort": "NOPE"}"#, 422,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"int_parsing","loc":["body","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"},{"type":"enum","loc":["body","sort"],"msg":"Input should be 'CREATED_DESC', 'UPDATED_DESC', 'ID_DESC', 'KEY_DESC' or 'KEY_ASC'","input":"NOPE","ctx":{"expected":"'CREATED_DESC', 'UPDATED_DESC', 'ID_DESC', 'KEY_DESC' or 'KEY_ASC'"}},{"type":"greater_than_equal","loc":["body","offset"],"msg":"Input should be greater than or equal to 0","input":-1,"ctx":{"ge":0}}],"request_body":{"limit":"abc","offset":-1,"sort":"NOPE"}}"#).await;
    assert_reply(&app, "POST", "/artifacts/filter", r#"{"artifacts": {"key": {"exists_": "maybe", "any_": [1]}}}"#, 422,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"string_type","loc":["body","artifacts","key","any_",0],"msg":"Input should be a valid string","input":1},{"type":"bool_parsing","loc":["body","artifacts","key","exists_"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"}],"request_body":{"artifacts":{"key":{"exists_":"maybe","any_":[1]}}}}"#).await;
}

#[tokio::test]
async fn unknown_fields_in_filters_are_extra_forbidden_at_their_loc() {
    let app = spawn_app().await;
    assert_reply(&app, "POST", "/artifacts/count", r#"{"artifacts": {"nope": 1}}"#, 422,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"extra_forbidden","loc":["body","artifacts","nope"],"msg":"Extra inputs are not permitted","input":1}],"request_body":{"artifacts":{"nope":1}}}"#).await;
    // `id` belongs to the artifact filter, not the collection filter.
    assert_reply(&app, "POST", "/artifacts/latest/filter", r#"{"artifacts": {"id": {"any_": []}}}"#, 422,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"extra_forbidden","loc":["body","artifacts","id"],"msg":"Extra inputs are not permitted","input":{"any_":[]}}],"request_body":{"artifacts":{"id":{"any_":[]}}}}"#).await;
}

#[tokio::test]
async fn a_body_that_is_not_an_object_reports_every_parameter_missing() {
    let app = spawn_app().await;
    let r = app.send("POST", "/artifacts/filter", Some("[]")).await;
    assert_eq!(r.status, 422);
    let locs: Vec<String> = r.json()["exception_detail"].as_array().unwrap().iter().map(|e| e["loc"][1].as_str().unwrap().to_string()).collect();
    assert_eq!(locs, ["limit", "sort", "offset", "artifacts", "flow_runs", "task_runs", "flows", "deployments"]);
    let r = app.send("POST", "/artifacts/count", Some("5")).await;
    assert_eq!(r.json()["exception_detail"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn an_empty_or_null_body_means_defaults_for_filters_and_missing_for_create() {
    let app = spawn_app().await;
    assert_eq!(app.send("POST", "/artifacts/filter", Some("")).await.status, 200);
    assert_eq!(app.send("POST", "/artifacts/filter", Some("null")).await.status, 200);
    assert_reply(&app, "POST", "/artifacts/", "null", 422,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}],"request_body":null}"#).await;
    assert_reply(&app, "POST", "/artifacts/", "[]", 422,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":[]}],"request_body":[]}"#).await;
}

#[tokio::test]
async fn create_validates_key_uuids_and_forbids_unknown_fields() {
    let app = spawn_app().await;
    assert_reply(&app, "POST", "/artifacts/", r#"{"key":"My key","limit":3, "flow_run_id":"zz"}"#, 422,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"value_error","loc":["body","key"],"msg":"Value error, Artifact key must only contain lowercase letters, numbers, and dashes.","input":"My key","ctx":{"error":{}}},{"type":"uuid_parsing","loc":["body","flow_run_id"],"msg":"Input should be a valid UUID, invalid character: found `z` at 0","input":"zz","ctx":{"error":"invalid character: found `z` at 0"}},{"type":"extra_forbidden","loc":["body","limit"],"msg":"Extra inputs are not permitted","input":3}],"request_body":{"key":"My key","limit":3,"flow_run_id":"zz"}}"#).await;
    assert_reply(&app, "POST", "/artifacts/", r#"{"metadata_": {"a": 1}}"#, 422,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"string_type","loc":["body","metadata_","a"],"msg":"Input should be a valid string","input":1}],"request_body":{"metadata_":{"a":1}}}"#).await;
    assert_reply(&app, "PATCH", "/artifacts/00000000-0000-0000-0000-000000000000", r#"{"key": "x"}"#, 422,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"extra_forbidden","loc":["body","key"],"msg":"Extra inputs are not permitted","input":"x"}],"request_body":{"key":"x"}}"#).await;
}

#[tokio::test]
async fn malformed_json_is_a_json_invalid_422() {
    let app = spawn_app().await;
    assert_reply(&app, "POST", "/artifacts/", "{bad", 422,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"json_invalid","loc":["body",1],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting property name enclosed in double quotes"}}],"request_body":"{bad"}"#).await;
}

#[tokio::test]
async fn lax_inputs_are_accepted_as_the_reference_accepts_them() {
    let app = spawn_app().await;
    app.create(json!({"key": "a"})).await;
    for body in [r#"{"limit": "5", "offset": "0"}"#, r#"{"limit": 5.0}"#, r#"{"limit": true}"#, r#"{"limit": null}"#] {
        let r = app.send("POST", "/artifacts/filter", Some(body)).await;
        assert_eq!(r.status, 200, "{body}: {}", r.text);
    }
    let r = app.send("POST", "/artifacts/filter", Some(r#"{"limit": 5.5}"#)).await;
    assert_eq!(r.json()["exception_detail"][0]["type"], "int_from_float");
}

#[tokio::test]
async fn refused_requests_change_nothing_and_nothing_answers_5xx() {
    let app = spawn_app().await;
    app.create(json!({"key": "keep", "data": 1})).await;
    let before = app.post("/artifacts/filter", json!({})).await.text;
    let bad = [
        ("POST", "/artifacts/", "{\"key\": \"BAD KEY\", \"data\": 2}"),
        ("POST", "/artifacts/", "{\"data\": 2, \"extra\": 1}"),
        ("POST", "/artifacts/", "{\"flow_run_id\": \"'; DROP TABLE artifact; --\"}"),
        ("POST", "/artifacts/", "\u{0}\u{1}"),
        ("POST", "/artifacts/filter", "{\"artifacts\": {\"key\": {\"like_\": \"%'; DROP TABLE artifact; --\"}}}"),
        ("POST", "/artifacts/filter", "{\"sort\": \"id; DROP TABLE artifact\"}"),
        ("POST", "/artifacts/filter", "{\"offset\": 99999999999999999999999}"),
        ("POST", "/artifacts/latest/count", "{\"artifacts\": 7}"),
        ("PATCH", "/artifacts/00000000-0000-0000-0000-000000000000", "{\"data\": 3}"),
        ("DELETE", "/artifacts/00000000-0000-0000-0000-000000000000", ""),
    ];
    for (m, p, b) in bad {
        let r = app.send(m, p, Some(b)).await;
        assert!(r.status < 500, "{m} {p} {b:?} answered {}: {}", r.status, r.text);
    }
    assert_eq!(app.post("/artifacts/filter", json!({})).await.text, before);
}

#[tokio::test]
async fn content_types_are_read_as_fastapi_reads_them() {
    let app = spawn_app().await;
    app.create(json!({"key": "a"})).await;
    app.create(json!({"key": "b"})).await;
    let send = |ct: Option<&'static str>, path: &'static str, body: &'static str| {
        let mut req = app.client.post(format!("{}{}", app.base, path)).body(body);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // No content type and +json types are JSON.
    assert_eq!(send(None, "/artifacts/filter", r#"{"limit": 1}"#).await.1.matches("\"id\"").count(), 1);
    assert_eq!(send(Some("application/merge-patch+json"), "/artifacts/filter", r#"{"limit": 1}"#).await.1.matches("\"id\"").count(), 1);
    // text/plain is not parsed: filter parameters take their defaults...
    assert_eq!(send(Some("text/plain"), "/artifacts/filter", r#"{"limit": 1}"#).await.1.matches("\"id\"").count(), 2);
    // ...and a model body is a string where an object belongs.
    let (status, text) = send(Some("text/plain"), "/artifacts/", r#"{"key": "c"}"#).await;
    assert_eq!(status, 422);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        json!({"exception_message":"Invalid request received.","exception_detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":"{\"key\": \"c\"}"}],"request_body":"{\"key\": \"c\"}"})
    );
}

#[tokio::test]
async fn undecodable_and_too_deep_bodies_are_400() {
    let app = spawn_app().await;
    let r = app.client.post(format!("{}/artifacts/", app.base)).header("content-type", "application/json").body(vec![0x7b_u8, 0xff, 0xfe, 0x7d]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.text().await.unwrap(), r#"{"detail":"There was an error parsing the body"}"#);
    let deep = "[".repeat(100_000);
    let r = app.send("POST", "/artifacts/filter", Some(&deep)).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn top_level_numeric_data_goes_through_sqlite_affinity_like_the_reference() {
    let app = spawn_app().await;
    assert_eq!(app.send("POST", "/artifacts/", Some(r#"{"data": 2.0}"#)).await.json()["data"], json!(2));
    let nested = app.send("POST", "/artifacts/", Some(r#"{"data": {"v": 2.0, "f": [1e16, 1e-5]}}"#)).await;
    assert!(nested.text.contains(r#""data":{"v":2.0,"f":[1e+16,0.00001]}"#), "{}", nested.text);
}

/// The reference answers these with a 500 (SQLite overflow); artifactd
/// answers a 422 in pydantic's shape instead.
#[tokio::test]
async fn an_offset_beyond_64_bits_is_a_422_not_a_500() {
    let app = spawn_app().await;
    for body in [r#"{"offset": 9223372036854775808}"#, r#"{"offset": 1000000000000000000000000000000}"#] {
        let r = app.send("POST", "/artifacts/latest/filter", Some(body)).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.json()["exception_detail"][0]["type"], "less_than_equal");
        assert_eq!(r.json()["exception_detail"][0]["loc"], json!(["body", "offset"]));
    }
    let r = app.send("POST", "/artifacts/filter", Some(r#"{"offset": 9223372036854775807}"#)).await;
    assert_eq!((r.status, r.text.as_str()), (200, "[]"));
}

/// The reference crashes (500) echoing NaN/Infinity in a 422; artifactd
/// answers the 422 with the value shown as null. In `data` they are fine,
/// stored as null, as the reference does.
#[tokio::test]
async fn non_finite_numbers_are_a_422_where_validated_and_null_in_data() {
    let app = spawn_app().await;
    let r = app.send("POST", "/artifacts/filter", Some(r#"{"limit": NaN, "offset": Infinity}"#)).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["exception_detail"][0]["type"], "finite_number");
    assert_eq!(r.json()["exception_detail"][0]["loc"], json!(["body", "limit"]));
    assert_eq!(r.json()["exception_detail"][1]["loc"], json!(["body", "offset"]));
    let r = app.send("POST", "/artifacts/count", Some(r#"{"artifacts": {"key": {"like_": -Infinity}}}"#)).await;
    assert_eq!(r.status, 422);
    let r = app.send("POST", "/artifacts/", Some(r#"{"key": NaN}"#)).await;
    assert_eq!(r.status, 422);
    let r = app.send("POST", "/artifacts/", Some(r#"{"data": NaN}"#)).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["data"], serde_json::Value::Null);
    // Unknown top-level keys of a filter body are not validated (as in the reference).
    let r = app.send("POST", "/artifacts/filter", Some(r#"{"whatever": NaN}"#)).await;
    assert_eq!(r.status, 200);
}
