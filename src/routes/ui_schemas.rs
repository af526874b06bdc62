//! `POST /api/ui/schemas/validate`: the check Prefect's UI runs on a
//! deployment's parameters form (`schemas::json_schema` does the work).

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use super::{body, endpoint, Endpoint, Rule};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::schemas::json_schema::{self, Unusable};
use crate::schemas::validate::{self, Errors};
use crate::coerce::Problem;

pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint(Method::POST, "/ui/schemas/validate", Rule::READ, validate_values)]
}

/// `schema` and `values`, both required dictionaries.
/// A JSON object, as pydantic's `dict[str, Any]`.
type Dict = Map<String, Value>;

fn parse(b: &Option<Value>) -> Result<(Dict, Dict), ApiError> {
    let obj = b.as_ref().and_then(Value::as_object);
    let mut errs = Errors::default();
    let mut field = |name: &str| -> Option<Dict> {
        let loc = validate::key(&validate::body_loc(), name);
        match obj.and_then(|o| o.get(name)) {
            None => {
                errs.missing(&loc);
                None
            }
            Some(Value::Object(m)) => Some(m.clone()),
            Some(other) => {
                errs.push(&loc, other, Problem { kind: "dict_type", msg: "Input should be a valid dictionary".into(), ctx: None });
                None
            }
        }
    };
    let (schema, values) = (field("schema"), field("values"));
    match (schema, values) {
        (Some(s), Some(v)) if errs.is_empty() => Ok((s, v)),
        _ => Err(ApiError::Validation { errors: errs.items, body: b.clone().unwrap_or(Value::Null) }),
    }
}

/// Deeper schemas are refused as the reference's recursion limit refuses
/// circular ones (it fails on them with a 500). Parameter schemas nest a
/// few levels.
const MAX_SCHEMA_DEPTH: usize = 64;

/// The schema's own check against the 2020-12 meta-schema; the message
/// follows jsonschema's for the usual case (a keyword of the wrong type).
fn check_schema(schema: &Value) -> Result<(), ApiError> {
    match jsonschema::meta::validate(schema) {
        Ok(()) => Ok(()),
        Err(e) => Err(ApiError::Unprocessable(format!(
            "Invalid schema: {} is not valid under any of the given schemas",
            crate::schemas::parameter_schema::py_repr(e.instance())
        ))),
    }
}

async fn validate_values(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let (schema, values) = parse(&b)?;
    // All the work on the schema runs on a blocking thread, never on the
    // server's own.
    let answer = super::read(&db, move |c| {
        if crate::pyjson::nesting_depth(&Value::Object(schema.clone())) > MAX_SCHEMA_DEPTH {
            return Ok(Err(Unusable::Circular));
        }
        let schema = Value::Object(json_schema::preprocess(&schema));
        check_schema(&schema)?;
        // Workspace variables by name, for `workspace_variable` values.
        let mut vars = Map::new();
        let mut stmt = c.prepare_cached("SELECT name, value FROM variable")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?;
        for row in rows {
            let (name, value) = row?;
            let v = value.and_then(|t| crate::pyjson::loads(t.as_bytes()).ok()).unwrap_or(Value::Null);
            vars.insert(name, v);
        }
        let hydrated = json_schema::hydrate(&values, &vars);
        Ok(json_schema::validate(&schema, &hydrated))
    })
    .await?;
    match answer {
        Ok(errors) => {
            let tree = json_schema::error_tree(errors);
            Ok(HttpResponse::Ok().content_type("application/json").body(crate::pyjson::to_pydantic_json(&tree)))
        }
        Err(Unusable::Circular) => {
            Err(ApiError::Unprocessable("Invalid schema: Unable to validate schema with circular references.".into()))
        }
        Err(Unusable::Unresolvable(why)) => {
            Err(ApiError::Unprocessable(format!("Invalid schema: Validation failed. Failure reason: {why}")))
        }
    }
}

