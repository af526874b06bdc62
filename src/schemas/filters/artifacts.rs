//! `ArtifactFilter` (on `artifact`) and `ArtifactCollectionFilter` (on
//! `artifact_collection`): the same fields, except that the first filters by
//! `id` and the second by `latest_id`.

use serde_json::Value;

use super::sql::{ilike_contains, in_list, is_null, not_in_list, Cond};
use super::{operator, uuid_text};
use crate::coerce;
use crate::schemas::validate::{Errors, Loc, Model};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Artifact,
    Collection,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Artifact => "artifact",
            Table::Collection => "artifact_collection",
        }
    }

    fn col(self, name: &'static str) -> &'static str {
        match (self, name) {
            (Table::Artifact, "id") => "artifact.id",
            (Table::Artifact, "key") => "artifact.key",
            (Table::Artifact, "flow_run_id") => "artifact.flow_run_id",
            (Table::Artifact, "task_run_id") => "artifact.task_run_id",
            (Table::Artifact, "type") => "artifact.type",
            (Table::Collection, "latest_id") => "artifact_collection.latest_id",
            (Table::Collection, "key") => "artifact_collection.key",
            (Table::Collection, "flow_run_id") => "artifact_collection.flow_run_id",
            (Table::Collection, "task_run_id") => "artifact_collection.task_run_id",
            (Table::Collection, "type") => "artifact_collection.type",
            _ => "NULL",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct IdAny {
    pub any_: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct KeyFilter {
    pub any_: Option<Vec<String>>,
    pub like_: Option<String>,
    pub exists_: Option<bool>,
    /// The keys that match `like_`, when the trigram index found few
    /// (`db::key_search::resolve`); never part of the wire filter.
    pub candidates: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct TypeFilter {
    pub any_: Option<Vec<String>>,
    pub not_any_: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct ArtifactFilter {
    pub table: Table,
    pub or: bool,
    /// `id` on artifacts, `latest_id` on collections.
    pub id: Option<IdAny>,
    pub key: Option<KeyFilter>,
    pub flow_run_id: Option<IdAny>,
    pub task_run_id: Option<IdAny>,
    pub r#type: Option<TypeFilter>,
}

fn id_any(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<IdAny> {
    let m = Model::open(v, loc, true, errs)?;
    let before = errs.items.len();
    let any_ = m.opt_list("any_", errs, uuid_text);
    m.finish(&["any_"], errs);
    (errs.items.len() == before).then_some(IdAny { any_ })
}

fn key_filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<KeyFilter> {
    let m = Model::open(v, loc, true, errs)?;
    let before = errs.items.len();
    let any_ = m.opt_list("any_", errs, coerce::string);
    let like_ = m.opt("like_", errs, coerce::string);
    let exists_ = m.opt("exists_", errs, coerce::boolean);
    m.finish(&["any_", "like_", "exists_"], errs);
    (errs.items.len() == before).then_some(KeyFilter { any_, like_, exists_, candidates: None })
}

fn type_filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<TypeFilter> {
    let m = Model::open(v, loc, true, errs)?;
    let before = errs.items.len();
    let any_ = m.opt_list("any_", errs, coerce::string);
    let not_any_ = m.opt_list("not_any_", errs, coerce::string);
    m.finish(&["any_", "not_any_"], errs);
    (errs.items.len() == before).then_some(TypeFilter { any_, not_any_ })
}

impl ArtifactFilter {
    pub fn parse(table: Table, v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let id_name = match table {
            Table::Artifact => "id",
            Table::Collection => "latest_id",
        };
        let or = operator(&m, errs);
        let id = m.opt_model(id_name, errs, id_any);
        let key = m.opt_model("key", errs, key_filter);
        let flow_run_id = m.opt_model("flow_run_id", errs, id_any);
        let task_run_id = m.opt_model("task_run_id", errs, id_any);
        let r#type = m.opt_model("type", errs, type_filter);
        m.finish(&["operator", id_name, "key", "flow_run_id", "task_run_id", "type"], errs);
        (errs.items.len() == before).then_some(ArtifactFilter {
            table,
            or,
            id,
            key,
            flow_run_id,
            task_run_id,
            r#type,
        })
    }

    pub fn cond(&self) -> Cond {
        let t = self.table;
        let id_col = match t {
            Table::Artifact => t.col("id"),
            Table::Collection => t.col("latest_id"),
        };
        let mut parts = Vec::new();
        if let Some(f) = &self.id {
            parts.push(id_any_cond(id_col, f));
        }
        if let Some(f) = &self.key {
            let col = t.col("key");
            let mut c = Vec::new();
            if let Some(any) = &f.any_ {
                c.push(in_list(col, any));
            }
            if let Some(like) = f.like_.as_deref().filter(|s| !s.is_empty()) {
                c.push(ilike_contains(col, like));
                if let Some(keys) = &f.candidates {
                    // Beside the LIKE, which still decides: SQLite starts
                    // from these keys' index entries.
                    c.push(if keys.is_empty() { Cond::new("0", vec![]) } else { in_list(col, keys) });
                }
            }
            if let Some(exists) = f.exists_ {
                c.push(is_null(col, !exists));
            }
            parts.push(Cond::and(c));
        }
        if let Some(f) = &self.flow_run_id {
            parts.push(id_any_cond(t.col("flow_run_id"), f));
        }
        if let Some(f) = &self.task_run_id {
            parts.push(id_any_cond(t.col("task_run_id"), f));
        }
        if let Some(f) = &self.r#type {
            let col = t.col("type");
            let mut c = Vec::new();
            if let Some(any) = &f.any_ {
                c.push(in_list(col, any));
            }
            if let Some(not_any) = f.not_any_.as_ref().filter(|l| !l.is_empty()) {
                c.push(not_in_list(col, not_any));
            }
            parts.push(Cond::and(c));
        }
        Cond::join(parts, self.or)
    }
}

fn id_any_cond(col: &'static str, f: &IdAny) -> Cond {
    match &f.any_ {
        Some(any) => in_list(col, any),
        None => Cond::truth(),
    }
}
