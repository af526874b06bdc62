//! Wire types of flows, flow runs, task runs, deployments and logs: the
//! create bodies (validated as the reference's `FlowCreate`, `FlowRunCreate`,
//! `TaskRunCreate`, `DeploymentCreate`, `StateCreate`, `LogCreate`) and the
//! documents written back, with the reference's fields in its order.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::coerce::{self, Problem};
use crate::pyjson;
use crate::schemas::validate::{self, ErrorItem, Errors, Loc, Model};
use crate::timefmt;

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/// A float the way pydantic writes it (`0.0`, `0.028488`).
pub fn float_value(f: f64) -> Value {
    serde_json::from_str(&pyjson::pydantic_float(f)).unwrap_or(Value::Null)
}

pub fn time_value(t: DateTime<Utc>) -> Value {
    Value::String(timefmt::wire_from(t))
}

/// Parses a wire or stored timestamp back into a time.
pub fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) => timefmt::parse_stored(s).or_else(|| coerce::datetime(v).ok()),
        Value::Null => None,
        other => coerce::datetime(other).ok(),
    }
}

/// Seconds between two times, as pydantic writes a timedelta (float seconds,
/// microsecond precision).
pub fn seconds_between(later: DateTime<Utc>, earlier: DateTime<Utc>) -> f64 {
    (later - earlier).num_microseconds().unwrap_or(0) as f64 / 1e6
}

/// A UUID version 7 (time-ordered), as the reference gives states and logs.
pub fn uuid7(t: DateTime<Utc>) -> String {
    let mut b = *uuid::Uuid::new_v4().as_bytes();
    let ms = t.timestamp_millis().max(0) as u64;
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).hyphenated().to_string()
}

const ADJECTIVES: &[&str] = &[
    "amber", "ancient", "arrogant", "bold", "brave", "bright", "calm", "careful", "clever", "cobalt",
    "crafty", "crimson", "curious", "daft", "dandy", "daring", "dashing", "eager", "elegant", "fancy",
    "fearless", "festive", "fiery", "gentle", "glorious", "golden", "graceful", "hairy", "happy", "hilarious",
    "honest", "imposing", "jolly", "keen", "kind", "lively", "loyal", "lucky", "magnetic", "merry",
    "mighty", "modest", "nimble", "noble", "olive", "opalescent", "outrageous", "papaya", "patient", "peach",
    "placid", "polite", "proud", "quick", "quiet", "rapid", "resilient", "robust", "ruddy", "scrupulous",
    "shiny", "silver", "smart", "smooth", "spiffy", "spirited", "steel", "stirring", "strong", "sturdy",
    "swift", "tactful", "tan", "thundering", "tireless", "tough", "tricky", "uber", "unique", "vagabond",
    "valiant", "versatile", "vigilant", "vivacious", "warm", "wakeful", "whimsical", "wise", "witty", "zealous",
];

const ANIMALS: &[&str] = &[
    "albatross", "alligator", "alpaca", "ant", "anteater", "antelope", "armadillo", "badger", "barracuda", "bat",
    "bear", "beaver", "bee", "beetle", "bison", "boar", "bobcat", "buffalo", "butterfly", "camel",
    "capybara", "caracal", "caribou", "cat", "caterpillar", "cheetah", "chicken", "chimpanzee", "chinchilla", "cobra",
    "cormorant", "coyote", "crab", "crane", "cricket", "crocodile", "crow", "deer", "dingo", "dog",
    "dolphin", "donkey", "dove", "dragon", "duck", "eagle", "eel", "elephant", "elk", "emu",
    "falcon", "ferret", "finch", "flamingo", "fox", "frog", "gazelle", "gecko", "gerbil", "giraffe",
    "gnu", "goat", "goose", "gopher", "gorilla", "grouse", "hare", "hawk", "hedgehog", "heron",
    "hippo", "hornet", "horse", "hound", "hyena", "ibex", "ibis", "iguana", "impala", "jackal",
    "jaguar", "kangaroo", "kingfisher", "kiwi", "koala", "lemming", "lemur", "leopard", "lion", "llama",
    "lobster", "lynx", "macaw", "magpie", "mammoth", "marmot", "meerkat", "mink", "mole", "mongoose",
    "moose", "mouse", "mule", "muskox", "narwhal", "newt", "ocelot", "octopus", "okapi", "orca",
    "oriole", "osprey", "ostrich", "otter", "owl", "ox", "panda", "panther", "parrot", "partridge",
    "peacock", "pelican", "penguin", "pheasant", "pig", "pigeon", "porcupine", "porpoise", "puffin", "puma",
    "python", "quail", "rabbit", "raccoon", "ram", "raven", "reindeer", "rhino", "robin", "salamander",
    "seal", "shark", "sheep", "skink", "skunk", "sloth", "snail", "snake", "sparrow", "spider",
    "squid", "squirrel", "stallion", "starfish", "stingray", "stork", "swan", "tapir", "tarsier", "termite",
    "tiger", "toad", "tortoise", "toucan", "trout", "turkey", "turtle", "viper", "vulture", "wallaby",
    "walrus", "wasp", "weasel", "whale", "wildebeest", "wolf", "wolverine", "wombat", "woodpecker", "worm",
    "yak", "zebra",
];

/// Prefect's `generate_slug(2)`: an adjective and an animal.
pub fn generate_slug() -> String {
    let b = uuid::Uuid::new_v4();
    let b = b.as_bytes();
    let a = u16::from_be_bytes([b[0], b[1]]) as usize % ADJECTIVES.len();
    let n = u16::from_be_bytes([b[2], b[3]]) as usize % ANIMALS.len();
    format!("{}-{}", ADJECTIVES[a], ANIMALS[n])
}

fn missing_in(errs: &mut Errors, loc: &[Loc], name: &str, input: &Value) {
    errs.items.push(ErrorItem {
        kind: "missing".into(),
        loc: validate::key(loc, name),
        msg: "Field required".into(),
        input: input.clone(),
        ctx: None,
    });
}

/// A required field: absent is `missing` with the whole model as input.
pub(crate) fn required<T>(
    v: &Value,
    m: &Model,
    name: &str,
    errs: &mut Errors,
    f: impl Fn(&Value) -> Result<T, Problem>,
) -> Option<T> {
    match m.raw(name) {
        None => {
            missing_in(errs, m.loc(), name, v);
            None
        }
        Some(x) => match f(x) {
            Ok(t) => Some(t),
            Err(p) => {
                errs.push(&validate::key(m.loc(), name), x, p);
                None
            }
        },
    }
}

pub(crate) fn uuid_text(v: &Value) -> Result<String, Problem> {
    coerce::uuid(v).map(|u| u.hyphenated().to_string())
}

fn dict_type() -> Problem {
    Problem { kind: "dict_type", msg: "Input should be a valid dictionary".into(), ctx: None }
}

pub(crate) fn any_dict(v: &Value) -> Result<Value, Problem> {
    match v {
        Value::Object(_) => Ok(v.clone()),
        _ => Err(dict_type()),
    }
}

fn name_pattern(v: &Value) -> Result<String, Problem> {
    let s = coerce::string(v)?;
    if !s.is_empty() && !s.contains(['/', '%', '&', '>', '<']) {
        Ok(s)
    } else {
        Err(Problem {
            kind: "string_pattern_mismatch",
            msg: "String should match pattern '^[^/%&><]+$'".into(),
            ctx: Some(json!({ "pattern": "^[^/%&><]+$" })),
        })
    }
}

/// An optional field whose JSON null is also accepted (returns Some(Null)).
fn opt_raw<'a>(m: &Model<'a>, name: &str) -> Option<&'a Value> {
    m.raw(name)
}

/// `list[str]` tags; absent gives `[]`.
pub(crate) fn tags(m: &Model, errs: &mut Errors) -> Value {
    match m.raw("tags") {
        None => json!([]),
        Some(v) => validate::list(v, &validate::key(m.loc(), "tags"), errs, coerce::string)
            .map(|l| json!(l))
            .unwrap_or(Value::Null),
    }
}

/// `KeyValueLabels | None`: values may be bool, int, float or str.
pub(crate) fn labels(m: &Model, errs: &mut Errors) -> Value {
    let loc = validate::key(m.loc(), "labels");
    match m.raw("labels") {
        None => json!({}),
        Some(Value::Null) => Value::Null,
        Some(Value::Object(o)) => {
            for (k, v) in o {
                if !(v.is_boolean() || v.is_number() || v.is_string()) {
                    let at = validate::key(&loc, k);
                    for (kind, branch, msg) in [
                        ("bool_type", "bool", "Input should be a valid boolean"),
                        ("int_type", "int", "Input should be a valid integer"),
                        ("float_type", "float", "Input should be a valid number"),
                        ("string_type", "str", "Input should be a valid string"),
                    ] {
                        errs.push(&validate::key(&at, branch), v, Problem { kind, msg: msg.into(), ctx: None });
                    }
                }
            }
            Value::Object(o.clone())
        }
        Some(other) => {
            errs.push(&loc, other, dict_type());
            Value::Null
        }
    }
}

pub(crate) fn dict_or(m: &Model, name: &str, errs: &mut Errors, default: Value) -> Value {
    match m.raw(name) {
        None => default,
        Some(v) => match any_dict(v) {
            Ok(d) => d,
            Err(p) => {
                errs.push(&validate::key(m.loc(), name), v, p);
                Value::Null
            }
        },
    }
}

pub(crate) fn opt_string(m: &Model, name: &str, errs: &mut Errors) -> Value {
    m.opt(name, errs, coerce::string).map(Value::String).unwrap_or(Value::Null)
}

pub(crate) fn opt_uuid(m: &Model, name: &str, errs: &mut Errors) -> Value {
    m.opt(name, errs, uuid_text).map(Value::String).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------------------
// States
// ---------------------------------------------------------------------------

pub const STATE_TYPES: &[&str] = &[
    "SCHEDULED", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED", "CRASHED", "PAUSED", "CANCELLING",
];

pub fn is_final(t: &str) -> bool {
    matches!(t, "COMPLETED" | "FAILED" | "CANCELLED" | "CRASHED")
}

const DETAIL_FIELDS: &[&str] = &[
    "flow_run_id", "task_run_id", "child_flow_run_id", "scheduled_time", "cache_key", "cache_expiration",
    "deferred", "untrackable_result", "pause_timeout", "pause_reschedule", "pause_key", "run_input_keyset",
    "refresh_cache", "retriable", "transition_id", "task_parameters_id", "traceparent",
    "deployment_concurrency_lease_id",
];

/// `StateDetails` with every field at its default.
pub fn default_state_details() -> Map<String, Value> {
    let mut m = Map::new();
    for f in DETAIL_FIELDS {
        let v = match *f {
            "deferred" | "untrackable_result" | "pause_reschedule" => Value::Bool(false),
            _ => Value::Null,
        };
        m.insert((*f).to_string(), v);
    }
    m
}

fn state_details(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Map<String, Value>> {
    let m = Model::open(v, loc, false, errs)?;
    let before = errs.items.len();
    let mut out = default_state_details();
    for f in DETAIL_FIELDS {
        let Some(raw) = m.raw(f) else { continue };
        // Two of the booleans are not Optional: null is a bool_type error.
        if raw.is_null() && !matches!(*f, "untrackable_result" | "pause_reschedule") {
            out.insert((*f).to_string(), Value::Null);
            continue;
        }
        let at = validate::key(loc, f);
        let r: Result<Value, Problem> = match *f {
            "flow_run_id" | "task_run_id" | "child_flow_run_id" | "transition_id" | "task_parameters_id"
            | "deployment_concurrency_lease_id" => uuid_text(raw).map(Value::String),
            "scheduled_time" | "cache_expiration" | "pause_timeout" => coerce::datetime(raw).map(time_value),
            "deferred" | "untrackable_result" | "pause_reschedule" | "refresh_cache" | "retriable" => {
                coerce::boolean(raw).map(Value::Bool)
            }
            "cache_key" | "pause_key" | "traceparent" => coerce::string(raw).map(Value::String),
            // `dict[str, str]`
            "run_input_keyset" => match validate::str_dict(raw, &at, errs) {
                Some(d) => Ok(Value::Object(d)),
                None => continue,
            },
            _ => Ok(raw.clone()),
        };
        match r {
            Ok(x) => {
                out.insert((*f).to_string(), x);
            }
            Err(p) => errs.push(&at, raw, p),
        }
    }
    (errs.items.len() == before).then_some(out)
}

/// A validated `StateCreate`.
#[derive(Debug, Clone)]
pub struct StateCreate {
    pub r#type: String,
    pub name: String,
    pub message: Value,
    pub data: Value,
    pub details: Map<String, Value>,
}

impl StateCreate {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<StateCreate> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let r#type = required(v, &m, "type", errs, |x| coerce::enumeration(x, STATE_TYPES));
        let name = m.opt("name", errs, coerce::string);
        let message = opt_string(&m, "message", errs);
        let data = m.raw("data").cloned().unwrap_or(Value::Null);
        let details = match m.raw("state_details") {
            None => Some(default_state_details()),
            Some(d) => state_details(d, &validate::key(loc, "state_details"), errs),
        };
        m.finish(&["type", "name", "message", "data", "state_details"], errs);
        if errs.items.len() != before {
            return None;
        }
        let r#type = r#type?;
        let mut details = details?;
        let name = name.unwrap_or_else(|| {
            r#type.split('_').map(capitalize).collect::<Vec<_>>().join(" ")
        });
        if r#type == "SCHEDULED" && details.get("scheduled_time").is_none_or(Value::is_null) {
            details.insert("scheduled_time".into(), time_value(Utc::now()));
        }
        Some(StateCreate { r#type, name, message, data, details })
    }

    /// The state document, stamped with its id and timestamp.
    pub fn to_state(&self, t: DateTime<Utc>) -> Map<String, Value> {
        let mut s = Map::new();
        s.insert("id".into(), Value::String(uuid7(t)));
        s.insert("type".into(), Value::String(self.r#type.clone()));
        s.insert("name".into(), Value::String(self.name.clone()));
        s.insert("timestamp".into(), time_value(t));
        s.insert("message".into(), self.message.clone());
        s.insert("data".into(), self.data.clone());
        s.insert("state_details".into(), Value::Object(self.details.clone()));
        s
    }

    pub fn pending() -> StateCreate {
        StateCreate {
            r#type: "PENDING".into(),
            name: "Pending".into(),
            message: Value::Null,
            data: Value::Null,
            details: default_state_details(),
        }
    }
}

fn capitalize(w: &str) -> String {
    let lower = w.to_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The body of `POST /{flow_runs,task_runs}/{id}/set_state`.
#[derive(Debug, Clone)]
pub struct SetState {
    pub state: StateCreate,
    pub force: bool,
}

impl SetState {
    pub fn parse(body: &Option<Value>) -> Result<SetState, crate::error::ApiError> {
        let mut errs = Errors::default();
        let loc = validate::body_loc();
        let obj = body.as_ref().and_then(|b| b.as_object());
        let state = match obj.and_then(|o| o.get("state")) {
            None => {
                errs.missing(&validate::key(&loc, "state"));
                None
            }
            Some(v) => StateCreate::parse(v, &validate::key(&loc, "state"), &mut errs),
        };
        let mut force = false;
        if let Some(v) = obj.and_then(|o| o.get("force")).filter(|v| !v.is_null()) {
            match coerce::boolean(v) {
                Ok(b) => force = b,
                Err(p) => errs.push(&validate::key(&loc, "force"), v, p),
            }
        }
        if body.is_some() && obj.is_none() {
            errs.items.clear();
            errs.missing(&validate::key(&loc, "state"));
            errs.missing(&validate::key(&loc, "force"));
        }
        match state {
            Some(state) if errs.is_empty() => Ok(SetState { state, force }),
            _ => Err(crate::error::ApiError::Validation {
                errors: errs.items,
                body: body.clone().unwrap_or(Value::Null),
            }),
        }
    }
}

// ---------------------------------------------------------------------------
// Flows
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct FlowCreate {
    pub name: String,
    pub tags: Value,
    pub labels: Value,
}

impl FlowCreate {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let name = required(v, &m, "name", errs, name_pattern);
        let tags = tags(&m, errs);
        let labels = labels(&m, errs);
        m.finish(&["name", "tags", "labels"], errs);
        if errs.items.len() != before {
            return None;
        }
        Some(FlowCreate { name: name?, tags, labels })
    }

    pub fn to_doc(&self, id: &str, created: DateTime<Utc>) -> Map<String, Value> {
        let mut d = Map::new();
        d.insert("id".into(), Value::String(id.into()));
        d.insert("created".into(), time_value(created));
        d.insert("updated".into(), time_value(created));
        d.insert("name".into(), Value::String(self.name.clone()));
        d.insert("tags".into(), self.tags.clone());
        d.insert("labels".into(), if self.labels.is_null() { json!({}) } else { self.labels.clone() });
        d
    }
}

// ---------------------------------------------------------------------------
// Run policies
// ---------------------------------------------------------------------------

pub(crate) fn policy(v: Option<&Value>, loc: &[Loc], errs: &mut Errors, task: bool) -> Value {
    let mut out = Map::new();
    out.insert("max_retries".into(), json!(0));
    out.insert("retry_delay_seconds".into(), float_value(0.0));
    out.insert("retries".into(), Value::Null);
    out.insert("retry_delay".into(), Value::Null);
    if task {
        out.insert("retry_jitter_factor".into(), Value::Null);
    } else {
        out.insert("pause_keys".into(), json!([]));
        out.insert("resuming".into(), Value::Bool(false));
        out.insert("retry_type".into(), Value::Null);
    }
    let Some(v) = v else { return Value::Object(out) };
    let Some(m) = Model::open(v, loc, false, errs) else { return Value::Null };
    // `max_retries: int` and `retry_delay_seconds: float` are not
    // Optional: null is a type error.
    if let Some(x) = m.raw("max_retries") {
        match coerce::int(x) {
            Ok(n) => {
                out.insert("max_retries".into(), json!(n));
            }
            Err(p) => errs.push(&validate::key(loc, "max_retries"), x, p),
        }
    }
    let mut seconds_failed = false;
    if let Some(x) = m.raw("retry_delay_seconds") {
        match coerce::float(x) {
            Ok(f) => {
                out.insert("retry_delay_seconds".into(), float_value(f));
            }
            Err(p) => {
                seconds_failed = true;
                errs.push(&validate::key(loc, "retry_delay_seconds"), x, p);
            }
        }
    }
    // `populate_deprecated_fields` runs before validation: a falsy new
    // field takes the old field's raw value when that is not zero, and is
    // then validated as itself (a fractional `retry_delay_seconds` is an
    // `int_from_float` at `retry_delay` for a flow run).
    let py_falsy = |x: Option<&Value>| match x {
        None | Some(Value::Null) | Some(Value::Bool(false)) => true,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::String(t)) => t.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::Bool(true)) => false,
    };
    let py_zero = |x: Option<&Value>| match x {
        None | Some(Value::Bool(false)) => true,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        _ => false,
    };
    let effective = |new: &str, old: &str| -> Option<&Value> {
        let n = m.raw(new);
        if py_falsy(n) && !py_zero(m.raw(old)) {
            m.raw(old)
        } else {
            n
        }
    };
    let validate_int = |name: &str, raw: Option<&Value>, errs: &mut Errors| -> Option<i64> {
        match raw {
            None | Some(Value::Null) => None,
            Some(x) => match coerce::int(x) {
                Ok(n) => Some(n),
                Err(p) => {
                    errs.push(&validate::key(loc, name), x, p);
                    None
                }
            },
        }
    };
    if let Some(n) = validate_int("retries", effective("retries", "max_retries"), errs) {
        out.insert("retries".into(), json!(n));
    }
    if task {
        // The seconds copied into `retry_delay` fail its union too when
        // they failed as a float; otherwise they are taken once validated.
        let copied_bad = seconds_failed && py_falsy(m.raw("retry_delay"));
        let delay = if copied_bad { m.raw("retry_delay_seconds") } else { m.raw("retry_delay") };
        if let Some(x) = delay.filter(|x| !x.is_null()) {
            let at = validate::key(loc, "retry_delay");
            let ok = x.is_number() || x.as_array().is_some_and(|a| a.iter().all(Value::is_number));
            if ok {
                out.insert("retry_delay".into(), x.clone());
            } else {
                let bad_num = |kind: &'static str, msg: &str| Problem { kind, msg: msg.into(), ctx: None };
                let (ik, im, fk, fm) = match x {
                    Value::String(_) => (
                        "int_parsing", "Input should be a valid integer, unable to parse string as an integer",
                        "float_parsing", "Input should be a valid number, unable to parse string as a number",
                    ),
                    _ => ("int_type", "Input should be a valid integer", "float_type", "Input should be a valid number"),
                };
                errs.push(&validate::key(&at, "int"), x, bad_num(ik, im));
                errs.push(&validate::key(&at, "float"), x, bad_num(fk, fm));
                for branch in ["list[int]", "list[float]"] {
                    errs.push(&validate::key(&at, branch), x, bad_num("list_type", "Input should be a valid list"));
                }
            }
        }
        if let Some(f) = m.opt("retry_jitter_factor", errs, coerce::float) {
            out.insert("retry_jitter_factor".into(), float_value(f));
        }
    } else {
        if let Some(n) = validate_int("retry_delay", effective("retry_delay", "retry_delay_seconds"), errs) {
            out.insert("retry_delay".into(), json!(n));
        }
        if let Some(l) = m.opt_list("pause_keys", errs, coerce::string) {
            let mut uniq: Vec<String> = Vec::new();
            for k in l {
                if !uniq.contains(&k) {
                    uniq.push(k);
                }
            }
            out.insert("pause_keys".into(), json!(uniq));
        }
        if let Some(b) = m.opt("resuming", errs, coerce::boolean) {
            out.insert("resuming".into(), Value::Bool(b));
        }
        if let Some(t) = m.opt("retry_type", errs, |x| coerce::enumeration(x, &["in_process", "reschedule"])) {
            out.insert("retry_type".into(), Value::String(t));
        }
    }
    // A task run's `retry_delay` union still takes the validated seconds.
    let truthy = |v: Option<&Value>| v.is_some_and(|x| !(x.is_null() || x.as_f64() == Some(0.0)));
    if task && !truthy(out.get("retry_delay")) && truthy(out.get("retry_delay_seconds")) {
        let f = out["retry_delay_seconds"].as_f64().unwrap_or(0.0);
        let v = if task || f.fract() != 0.0 { float_value(f) } else { json!(f as i64) };
        out.insert("retry_delay".into(), v);
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------
// Flow runs
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct FlowRunCreate {
    pub state: Option<StateCreate>,
    pub name: String,
    pub flow_id: String,
    pub flow_version: Value,
    pub parameters: Value,
    pub context: Value,
    pub parent_task_run_id: Value,
    pub infrastructure_document_id: Value,
    pub empirical_policy: Value,
    pub tags: Value,
    pub labels: Value,
    pub idempotency_key: Value,
    pub work_pool_name: Value,
    pub work_queue_name: Value,
    pub job_variables: Value,
    pub deployment_id: Value,
}

pub const FLOW_RUN_CREATE_FIELDS: &[&str] = &[
    "state", "name", "flow_id", "flow_version", "parameters", "context", "parent_task_run_id",
    "infrastructure_document_id", "empirical_policy", "tags", "labels", "idempotency_key", "work_pool_name",
    "work_queue_name", "job_variables", "deployment_id",
];

pub(crate) fn run_name(m: &Model, errs: &mut Errors) -> String {
    match m.raw("name") {
        None | Some(Value::Null) => generate_slug(),
        Some(v) => match coerce::string(v) {
            Ok(s) => s,
            Err(p) => {
                errs.push(&validate::key(m.loc(), "name"), v, p);
                String::new()
            }
        },
    }
}

impl FlowRunCreate {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let state = m.opt_model("state", errs, StateCreate::parse);
        let name = run_name(&m, errs);
        let flow_id = required(v, &m, "flow_id", errs, uuid_text);
        let flow_version = opt_string(&m, "flow_version", errs);
        let parameters = dict_or(&m, "parameters", errs, json!({}));
        let context = dict_or(&m, "context", errs, json!({}));
        let parent_task_run_id = opt_uuid(&m, "parent_task_run_id", errs);
        let infrastructure_document_id = opt_uuid(&m, "infrastructure_document_id", errs);
        let empirical_policy =
            policy(m.raw("empirical_policy"), &validate::key(loc, "empirical_policy"), errs, false);
        let tags = tags(&m, errs);
        let labels = labels(&m, errs);
        let idempotency_key = opt_string(&m, "idempotency_key", errs);
        let work_pool_name = opt_string(&m, "work_pool_name", errs);
        let work_queue_name = opt_string(&m, "work_queue_name", errs);
        let job_variables = match opt_raw(&m, "job_variables") {
            None | Some(Value::Null) => Value::Null,
            Some(_) => dict_or(&m, "job_variables", errs, Value::Null),
        };
        let deployment_id = opt_uuid(&m, "deployment_id", errs);
        m.finish(FLOW_RUN_CREATE_FIELDS, errs);
        if errs.items.len() != before {
            return None;
        }
        Some(FlowRunCreate {
            state,
            name,
            flow_id: flow_id?,
            flow_version,
            parameters,
            context,
            parent_task_run_id,
            infrastructure_document_id,
            empirical_policy,
            tags,
            labels,
            idempotency_key,
            work_pool_name,
            work_queue_name,
            job_variables,
            deployment_id,
        })
    }

    /// The new run's document before its first state is set.
    pub fn to_doc(&self, id: &str, created: DateTime<Utc>, labels: Value, job_variables: Value) -> Map<String, Value> {
        let t = time_value(created);
        let doc = json!({
            "id": id,
            "created": t,
            "updated": t,
            "name": self.name,
            "flow_id": self.flow_id,
            "state_id": null,
            "deployment_id": self.deployment_id,
            "deployment_version": null,
            "work_queue_id": null,
            "work_queue_name": self.work_queue_name,
            "flow_version": self.flow_version,
            "parameters": self.parameters,
            "idempotency_key": self.idempotency_key,
            "context": self.context,
            "empirical_policy": self.empirical_policy,
            "tags": self.tags,
            "labels": labels,
            "parent_task_run_id": self.parent_task_run_id,
            "state_type": null,
            "state_name": null,
            "run_count": 0,
            "expected_start_time": null,
            "next_scheduled_start_time": null,
            "start_time": null,
            "end_time": null,
            "total_run_time": float_value(0.0),
            "estimated_run_time": float_value(0.0),
            "estimated_start_time_delta": float_value(0.0),
            "auto_scheduled": false,
            "infrastructure_document_id": self.infrastructure_document_id,
            "infrastructure_pid": null,
            "created_by": null,
            "work_pool_id": null,
            "work_pool_name": null,
            "state": null,
            "job_variables": job_variables,
        });
        match doc {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }
}

// ---------------------------------------------------------------------------
// Task runs
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct TaskRunCreate {
    pub id: Option<String>,
    pub state: Option<StateCreate>,
    pub name: String,
    pub flow_run_id: Value,
    pub task_key: String,
    pub dynamic_key: String,
    pub cache_key: Value,
    pub cache_expiration: Value,
    pub task_version: Value,
    pub empirical_policy: Value,
    pub tags: Value,
    pub labels: Value,
    pub task_inputs: Value,
}

pub const TASK_RUN_CREATE_FIELDS: &[&str] = &[
    "id", "state", "name", "flow_run_id", "task_key", "dynamic_key", "cache_key", "cache_expiration",
    "task_version", "empirical_policy", "tags", "labels", "task_inputs",
];

fn cache_key(v: &Value) -> Result<String, Problem> {
    let s = coerce::string(v)?;
    if s.chars().count() > 2000 {
        return Err(Problem {
            kind: "value_error",
            msg: "Value error, Cache key exceeded maximum allowed length of 2000 characters.".into(),
            ctx: Some(json!({ "error": {} })),
        });
    }
    Ok(s)
}

impl TaskRunCreate {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let id = m.opt("id", errs, uuid_text);
        let state = m.opt_model("state", errs, StateCreate::parse);
        let name = run_name(&m, errs);
        let flow_run_id = opt_uuid(&m, "flow_run_id", errs);
        let task_key = required(v, &m, "task_key", errs, coerce::string);
        let dynamic_key = required(v, &m, "dynamic_key", errs, coerce::string);
        let cache_key = m.opt("cache_key", errs, cache_key).map(Value::String).unwrap_or(Value::Null);
        let cache_expiration = m.opt("cache_expiration", errs, coerce::datetime).map(time_value).unwrap_or(Value::Null);
        let task_version = opt_string(&m, "task_version", errs);
        let empirical_policy =
            policy(m.raw("empirical_policy"), &validate::key(loc, "empirical_policy"), errs, true);
        let tags = tags(&m, errs);
        let labels = labels(&m, errs);
        let task_inputs = match m.raw("task_inputs") {
            None => json!({}),
            Some(x) => task_inputs(x, &validate::key(loc, "task_inputs"), errs),
        };
        m.finish(TASK_RUN_CREATE_FIELDS, errs);
        if errs.items.len() != before {
            return None;
        }
        Some(TaskRunCreate {
            id,
            state,
            name,
            flow_run_id,
            task_key: task_key?,
            dynamic_key: dynamic_key?,
            cache_key,
            cache_expiration,
            task_version,
            empirical_policy,
            tags,
            labels,
            task_inputs,
        })
    }

    pub fn to_doc(&self, id: &str, created: DateTime<Utc>, labels: Value) -> Map<String, Value> {
        let t = time_value(created);
        let doc = json!({
            "id": id,
            "created": t,
            "updated": t,
            "name": self.name,
            "flow_run_id": self.flow_run_id,
            "task_key": self.task_key,
            "dynamic_key": self.dynamic_key,
            "cache_key": self.cache_key,
            "cache_expiration": self.cache_expiration,
            "task_version": self.task_version,
            "empirical_policy": self.empirical_policy,
            "tags": self.tags,
            "labels": labels,
            "state_id": null,
            "task_inputs": self.task_inputs,
            "state_type": null,
            "state_name": null,
            "run_count": 0,
            "flow_run_run_count": 0,
            "expected_start_time": null,
            "next_scheduled_start_time": null,
            "start_time": null,
            "end_time": null,
            "total_run_time": float_value(0.0),
            "estimated_run_time": float_value(0.0),
            "estimated_start_time_delta": float_value(0.0),
            "state": null,
        });
        match doc {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }
}

/// `dict[str, list[TaskRunResult | FlowRunResult | Parameter | Constant]]`.
/// A task-input model: (its name, its `input_type` literal, its id field).
type TaskInputMember = (&'static str, &'static str, &'static str);

fn task_inputs(v: &Value, loc: &[Loc], errs: &mut Errors) -> Value {
    let Value::Object(o) = v else {
        errs.push(loc, v, dict_type());
        return Value::Null;
    };
    let members: [TaskInputMember; 4] = [
        ("TaskRunResult", "task_run", "id"),
        ("FlowRunResult", "flow_run", "id"),
        ("Parameter", "parameter", "name"),
        ("Constant", "constant", "type"),
    ];
    let mut out = Map::new();
    for (k, items) in o {
        let at = validate::key(loc, k);
        let Value::Array(items) = items else {
            errs.push(&at, items, Problem { kind: "list_type", msg: "Input should be a valid list".into(), ctx: None });
            continue;
        };
        let mut list = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let mut item_loc = at.clone();
            item_loc.push(Loc::Index(i));
            let obj = item.as_object();
            let it = obj.and_then(|o| o.get("input_type"));
            // pydantic's smart union: of the members that validate (each
            // defaults `input_type` to its own literal), the one with the
            // most fields set wins, then the most exact (a `str` field read
            // as is beats a UUID parsed from a string), then the first.
            // The member and its (fields set, exact) score.
            let mut matched: Option<(&TaskInputMember, (usize, usize))> = None;
            for member in &members {
                let (_, lit, field) = member;
                let literal_ok = match it {
                    None => true,
                    Some(x) => x.as_str() == Some(*lit),
                };
                let field_ok = obj.and_then(|o| o.get(*field)).is_some_and(|f| {
                    if *field == "id" { uuid_text(f).is_ok() } else { f.is_string() }
                });
                if !(literal_ok && field_ok) {
                    continue;
                }
                let score = (1 + usize::from(it.is_some()), usize::from(*field != "id"));
                if matched.is_none_or(|(_, best)| score > best) {
                    matched = Some((member, score));
                }
            }
            let matched = matched.map(|(m, _)| m);
            if let Some((_, lit, field)) = matched {
                let f = obj.and_then(|o| o.get(*field)).cloned().unwrap_or(Value::Null);
                let f = if *field == "id" { Value::String(uuid_text(&f).unwrap_or_default()) } else { f };
                let mut m = Map::new();
                m.insert("input_type".into(), json!(lit));
                m.insert((*field).into(), f);
                list.push(Value::Object(m));
                continue;
            }
            for (model, lit, field) in members {
                let ml = validate::key(&item_loc, model);
                let Some(obj) = obj else {
                    errs.push(&ml, item, Problem {
                        kind: "model_type",
                        msg: format!("Input should be a valid dictionary or instance of {model}"),
                        ctx: Some(json!({ "class_name": model })),
                    });
                    continue;
                };
                match obj.get("input_type") {
                    Some(Value::String(s)) if s == lit => {}
                    None => {}
                    Some(x) => errs.push(&validate::key(&ml, "input_type"), x, Problem {
                        kind: "literal_error",
                        msg: format!("Input should be '{lit}'"),
                        ctx: Some(json!({ "expected": format!("'{lit}'") })),
                    }),
                }
                match obj.get(field) {
                    None => missing_in(errs, &ml, field, item),
                    Some(f) => {
                        let r = if field == "id" { uuid_text(f).map(|_| ()) } else { coerce::string(f).map(|_| ()) };
                        if let Err(p) = r {
                            errs.push(&validate::key(&ml, field), f, p);
                        }
                    }
                }
            }
        }
        out.insert(k.clone(), Value::Array(list));
    }
    Value::Object(out)
}

/// `ConcurrencyOptions`: a required `collision_strategy` (ENQUEUE or
/// CANCEL_NEW) and an optional `grace_period_seconds` in 60..=86400; other
/// keys are ignored. Answered with both fields.
pub(crate) fn concurrency_options(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Value> {
    let m = validate::Model::open(v, loc, false, errs)?;
    let before = errs.items.len();
    let strategy = match m.raw("collision_strategy") {
        None => {
            missing_in(errs, loc, "collision_strategy", v);
            None
        }
        Some(Value::String(s)) if s == "ENQUEUE" || s == "CANCEL_NEW" => Some(s.clone()),
        Some(x) => {
            errs.push(&validate::key(loc, "collision_strategy"), x, Problem {
                kind: "enum",
                msg: "Input should be 'ENQUEUE' or 'CANCEL_NEW'".into(),
                ctx: Some(json!({"expected": "'ENQUEUE' or 'CANCEL_NEW'"})),
            });
            None
        }
    };
    let grace = match m.raw("grace_period_seconds") {
        None | Some(Value::Null) => None,
        Some(x) => {
            let at = validate::key(loc, "grace_period_seconds");
            match coerce::int(x) {
                Ok(n) if n < 60 => {
                    errs.push(&at, x, Problem { kind: "greater_than_equal", msg: "Input should be greater than or equal to 60".into(), ctx: Some(json!({"ge": 60})) });
                    None
                }
                Ok(n) if n > 86400 => {
                    errs.push(&at, x, Problem { kind: "less_than_equal", msg: "Input should be less than or equal to 86400".into(), ctx: Some(json!({"le": 86400})) });
                    None
                }
                Ok(n) => Some(n),
                Err(p) => {
                    errs.push(&at, x, p);
                    None
                }
            }
        }
    };
    if errs.items.len() != before {
        return None;
    }
    Some(json!({"collision_strategy": strategy?, "grace_period_seconds": grace}))
}

// ---------------------------------------------------------------------------
// Deployments
// ---------------------------------------------------------------------------

/// A `DeploymentCreate`: the fields the client set (pydantic's
/// `exclude_unset`), already in wire form, in the reference's order.
#[derive(Debug, Clone)]
pub struct DeploymentCreate {
    pub name: String,
    pub flow_id: String,
    pub set: Map<String, Value>,
}

pub const DEPLOYMENT_CREATE_FIELDS: &[&str] = &[
    "name", "flow_id", "paused", "schedules", "concurrency_limit", "concurrency_options",
    "global_concurrency_limit_id", "enforce_parameter_schema", "parameter_openapi_schema", "parameters", "tags",
    "labels", "pull_steps", "work_queue_name", "work_pool_name", "storage_document_id",
    "infrastructure_document_id", "description", "path", "version", "entrypoint", "job_variables", "version_info",
];

pub(crate) fn positive_int(v: &Value) -> Result<i64, Problem> {
    let n = coerce::int(v)?;
    if n <= 0 {
        return Err(Problem {
            kind: "greater_than",
            msg: "Input should be greater than 0".into(),
            ctx: Some(json!({ "gt": 0 })),
        });
    }
    Ok(n)
}

impl DeploymentCreate {
    /// The reference validates a copy of the body to which a validator has
    /// added `parameters: {}`; its 422 echoes that copy.
    pub fn request_body(body: &Value) -> Value {
        match body {
            Value::Object(o) if !o.contains_key("parameters") => {
                let mut o = o.clone();
                o.insert("parameters".into(), json!({}));
                Value::Object(o)
            }
            other => other.clone(),
        }
    }

    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let name = required(v, &m, "name", errs, coerce::string);
        let flow_id = required(v, &m, "flow_id", errs, uuid_text);
        let mut set = Map::new();
        for f in DEPLOYMENT_CREATE_FIELDS.iter().skip(2) {
            let Some(raw) = m.raw(f) else { continue };
            let at = validate::key(loc, f);
            let r: Result<Value, Problem> = match *f {
                "paused" | "enforce_parameter_schema" => coerce::boolean(raw).map(Value::Bool),
                "concurrency_limit" if !raw.is_null() => positive_int(raw).map(|n| json!(n)),
                "global_concurrency_limit_id" | "storage_document_id" | "infrastructure_document_id"
                    if !raw.is_null() =>
                {
                    uuid_text(raw).map(Value::String)
                }
                "work_queue_name" | "work_pool_name" | "description" | "path" | "version" | "entrypoint"
                    if !raw.is_null() =>
                {
                    coerce::string(raw).map(Value::String)
                }
                "parameters" | "job_variables" => any_dict(raw),
                "concurrency_options" if !raw.is_null() => match concurrency_options(raw, &at, errs) {
                    Some(x) => Ok(x),
                    None => continue,
                },
                "parameter_openapi_schema" | "version_info" if !raw.is_null() => {
                    any_dict(raw)
                }
                "tags" => {
                    match validate::list(raw, &at, errs, coerce::string) {
                        Some(l) => Ok(json!(l)),
                        None => continue,
                    }
                }
                // `list[dict[str, Any]]`: each step a dict.
                "pull_steps" if !raw.is_null() => match validate::list(raw, &at, errs, any_dict) {
                    Some(l) => Ok(Value::Array(l)),
                    None => continue,
                },
                "schedules" if !raw.is_null() => match raw {
                    Value::Array(_) => Ok(raw.clone()),
                    _ => Err(Problem { kind: "list_type", msg: "Input should be a valid list".into(), ctx: None }),
                },
                "labels" => {
                    let l = labels(&m, errs);
                    Ok(l)
                }
                _ => Ok(raw.clone()),
            };
            match r {
                Ok(x) => {
                    set.insert((*f).to_string(), x);
                }
                Err(p) => errs.push(&at, raw, p),
            }
        }
        set.entry("parameters").or_insert(json!({}));
        m.finish(DEPLOYMENT_CREATE_FIELDS, errs);
        if errs.items.len() != before {
            return None;
        }
        Some(DeploymentCreate { name: name?, flow_id: flow_id?, set })
    }

    /// A new deployment document: defaults, then the fields the client set.
    pub fn new_doc(&self, id: &str, created: DateTime<Utc>, updated: DateTime<Utc>) -> Map<String, Value> {
        let doc = json!({
            "id": id,
            "created": time_value(created),
            "updated": time_value(updated),
            "name": self.name,
            "version": null,
            "description": null,
            "flow_id": self.flow_id,
            "paused": false,
            "schedules": [],
            "concurrency_limit": null,
            "global_concurrency_limit": null,
            "concurrency_options": null,
            "job_variables": {},
            "parameters": {},
            "tags": [],
            "labels": {},
            "work_queue_name": null,
            "work_queue_id": null,
            "last_polled": null,
            "parameter_openapi_schema": {},
            "path": null,
            "pull_steps": [],
            "entrypoint": null,
            "storage_document_id": null,
            "infrastructure_document_id": null,
            "created_by": null,
            "updated_by": null,
            "work_pool_name": null,
            "status": "NOT_READY",
            "enforce_parameter_schema": true,
        });
        let mut doc = match doc {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        self.apply(&mut doc);
        doc
    }

    /// Writes the fields the client set onto a document (the upsert's
    /// `ON CONFLICT DO UPDATE` of the set fields).
    pub fn apply(&self, doc: &mut Map<String, Value>) {
        for (k, v) in &self.set {
            match k.as_str() {
                "global_concurrency_limit_id" | "version_info" | "work_pool_name" => {}
                "schedules" => {
                    doc.insert(k.clone(), json!([]));
                }
                "pull_steps" | "parameter_openapi_schema" if v.is_null() => {
                    doc.insert(k.clone(), if k == "pull_steps" { json!([]) } else { json!({}) });
                }
                _ => {
                    if doc.contains_key(k) {
                        doc.insert(k.clone(), v.clone());
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct LogCreate {
    pub name: String,
    pub level: i64,
    pub message: String,
    pub timestamp: DateTime<Utc>,
    pub flow_run_id: Option<String>,
    pub task_run_id: Option<String>,
}

impl LogCreate {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let name = required(v, &m, "name", errs, coerce::string);
        let level = required(v, &m, "level", errs, coerce::int);
        let message = required(v, &m, "message", errs, coerce::string);
        let timestamp = required(v, &m, "timestamp", errs, coerce::datetime);
        let flow_run_id = m.opt("flow_run_id", errs, uuid_text);
        let task_run_id = m.opt("task_run_id", errs, uuid_text);
        m.finish(&["name", "level", "message", "timestamp", "flow_run_id", "task_run_id"], errs);
        if errs.items.len() != before {
            return None;
        }
        Some(LogCreate {
            name: name?,
            level: level?,
            message: message?,
            timestamp: timestamp?,
            flow_run_id,
            task_run_id,
        })
    }

    /// `Sequence[LogCreate]`: a JSON object is not a sequence.
    pub fn parse_list(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Vec<Self>> {
        let Value::Array(items) = v else {
            errs.push(
                loc,
                v,
                Problem {
                    kind: "is_instance_of",
                    msg: "Input should be an instance of Sequence".into(),
                    ctx: Some(json!({ "class": "Sequence" })),
                },
            );
            return None;
        };
        let before = errs.items.len();
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let mut at = loc.to_vec();
            at.push(Loc::Index(i));
            if let Some(l) = LogCreate::parse(item, &at, errs) {
                out.push(l);
            }
        }
        (errs.items.len() == before).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid7_has_version_7_and_the_time_prefix() {
        let t = DateTime::from_timestamp_millis(0x01a2_25f2_7a38).unwrap();
        let u = uuid7(t);
        assert!(u.starts_with("01a225f2-7a38-7"), "{u}");
    }

    #[test]
    fn state_names_default_from_the_type() {
        let mut errs = Errors::default();
        let s = StateCreate::parse(&json!({"type": "AWAITING_RETRY"}), &[], &mut errs);
        assert!(s.is_none());
        let s = StateCreate::parse(&json!({"type": "CANCELLING"}), &[], &mut errs).unwrap();
        assert_eq!(s.name, "Cancelling");
    }
}
