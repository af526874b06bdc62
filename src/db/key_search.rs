//! `like_` on artifact keys through the trigram index of migration V11.
//!
//! A substring that few keys have is the slow case of a plain `LIKE`: the
//! walk over the key index finds nothing to stop at. Every key that matches
//! contains each trigram of the needle's longest literal run, so the
//! rarest of those trigrams names a superset of the matching keys. When
//! that set is small, the filter gets the matching keys as an `IN` list
//! beside its `LIKE` (which still decides), and SQLite starts from those
//! keys. When it is large, the filter is left as it was. Either way the
//! rows of the answer are the same.

use rusqlite::{Connection, OptionalExtension};

use crate::schemas::filters::artifacts::KeyFilter;
use crate::schemas::query::Families;

/// What the narrowed filter answers, which decides how few keys make the
/// list worth it.
#[derive(Debug, Clone, Copy)]
pub enum Use {
    /// A page ending `depth` rows in (offset + limit).
    Page { depth: i64 },
    /// A count over `artifact` (several versions a key) or over the
    /// latest rows (one a key).
    Count { all_versions: bool },
}

/// The most keys for which the list beats the walk, from the number of
/// keys stored (the largest key id: one lookup, an over-estimate after
/// deletes). A page's walk stops after `depth` matches, reading about
/// `depth * keys / matches` index entries, while the list costs a lookup,
/// a check and a sort entry per matching key, some twenty times an index
/// step: the list wins below about `sqrt(depth * keys / 20)` matches. A
/// count's walk reads every entry, so the list wins below about a tenth of
/// the keys on the latest rows and a fifth on `artifact` (some ten
/// entries a key). Measured on the benchmark
/// sets (q2 at 100k: 369 of 10k keys match, and its walk of one page is
/// 0.05 ms where the list of 369 took 1.8 ms).
fn most_keys(conn: &Connection, r#use: Use) -> rusqlite::Result<usize> {
    let keys: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM artifact_key")?
        .query_row([], |r| r.get(0))?;
    let keys = keys.max(0) as u64;
    Ok(match r#use {
        Use::Page { depth } => (depth.max(1) as u64).saturating_mul(keys).div_euclid(20).isqrt().clamp(16, 1024) as usize,
        // At 1M artifacts, a `like_` that 9k of 100k keys match counts in
        // 45 ms from the list and 83 ms by the walk; with 40k keys the walk
        // (85 ms) wins.
        Use::Count { all_versions: true } => (keys / 5).clamp(64, 20_000) as usize,
        Use::Count { all_versions: false } => (keys / 10).clamp(64, 20_000) as usize,
    })
}

/// The needle's longest run without LIKE wildcards, lowercased, when the
/// trigram index can search for it: three characters or more, all ASCII
/// (keys are ASCII, and LIKE folds ASCII case only). Not for a needle with
/// a NUL, where SQLite's LIKE ends the pattern.
fn literal_run(needle: &str) -> Option<String> {
    if needle.contains('\0') {
        return None;
    }
    needle
        .split(['%', '_'])
        .max_by_key(|s| s.len())
        .filter(|s| s.len() >= 3 && s.is_ascii())
        .map(|s| s.to_ascii_lowercase())
}

/// How many of the needle's trigrams are counted, and how many of the
/// rarest then intersected: any subset still names a superset of the
/// matches, and a long needle must not cost a count per character.
const TRIGRAMS_COUNTED: usize = 12;
const TRIGRAMS_INTERSECTED: usize = 3;

/// The keys whose text matches `LIKE %needle%`, when the rarest trigram of
/// the needle names at most `max` keys; `None` when the index cannot
/// narrow it that far (then the walk answers, without reading postings).
pub fn candidates(conn: &Connection, needle: &str, max: usize) -> rusqlite::Result<Option<Vec<String>>> {
    let Some(run) = literal_run(needle) else { return Ok(None) };
    let mut trigrams: Vec<&str> = (0..=run.len() - 3).map(|i| &run[i..i + 3]).collect();
    trigrams.sort_unstable();
    trigrams.dedup();
    let step = trigrams.len().div_ceil(TRIGRAMS_COUNTED);
    let mut count = conn.prepare_cached("SELECT keys FROM artifact_key_trigram_count WHERE trigram = ?1")?;
    let mut counted: Vec<(usize, &str)> = Vec::new();
    for trigram in trigrams.into_iter().step_by(step) {
        let n: Option<i64> = count.query_row([trigram], |r| r.get(0)).optional()?;
        counted.push((n.unwrap_or(0).max(0) as usize, trigram));
    }
    counted.sort_unstable();
    if counted[0].0 > max {
        return Ok(None);
    }
    // The rarest trigram's keys that have the next rarest too, plus the
    // keys too long for trigrams (''), each checked by the LIKE itself.
    let others = &counted[1..counted.len().min(TRIGRAMS_INTERSECTED)];
    let mut sql = String::from(
        "SELECT k.key FROM (SELECT t.key_id FROM artifact_key_trigram AS t WHERE t.trigram = ?1",
    );
    for i in 0..others.len() {
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM artifact_key_trigram AS o WHERE o.trigram = ?{} AND o.key_id = t.key_id)",
            i + 3
        ));
    }
    sql.push_str(
        " UNION ALL SELECT key_id FROM artifact_key_trigram WHERE trigram = '') AS c \
         JOIN artifact_key AS k ON k.id = c.key_id WHERE k.key LIKE ?2 LIMIT ?",
    );
    sql.push_str(&(others.len() + 3).to_string());
    let mut values: Vec<rusqlite::types::Value> =
        vec![counted[0].1.to_string().into(), format!("%{needle}%").into()];
    values.extend(others.iter().map(|(_, t)| t.to_string().into()));
    values.push((max as i64 + 1).into());
    let keys: Vec<String> = conn
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(values), |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((keys.len() <= max).then_some(keys))
}

/// V11's triggers that copy keys from the artifact tables into
/// `artifact_key` (those on `artifact_key` itself keep the trigrams).
const KEY_SYNC_TRIGGERS: [&str; 6] = [
    "artifact__key_insert",
    "artifact__key_update",
    "artifact__key_delete",
    "artifact_collection__key_insert",
    "artifact_collection__key_update",
    "artifact_collection__key_delete",
];

/// For a bulk load into an empty database: drops the key-copying triggers
/// (a look-up per row) and gives back their SQL for [`resume_key_sync`],
/// which copies the keys once, from the loaded rows.
pub fn suspend_key_sync(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut saved = Vec::new();
    for name in KEY_SYNC_TRIGGERS {
        let sql: Option<String> = conn
            .query_row("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?1", [name], |r| r.get(0))
            .optional()?;
        if let Some(sql) = sql {
            // The name is one of ours, never a request's.
            conn.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
            saved.push(sql);
        }
    }
    Ok(saved)
}

/// Adds the keys of every loaded row, then puts the triggers back, inside
/// the load's transaction.
pub fn resume_key_sync(conn: &Connection, saved: &[String]) -> rusqlite::Result<()> {
    conn.execute_batch(
        "INSERT INTO artifact_key (key) \
         SELECT key FROM artifact WHERE key IS NOT NULL UNION SELECT key FROM artifact_collection \
         EXCEPT SELECT key FROM artifact_key",
    )?;
    for sql in saved {
        conn.execute_batch(sql)?;
    }
    Ok(())
}

/// Fills in the candidate keys of the artifact filter's `like_`, if any.
/// Returns whether it looked anything up, so the caller knows the answer
/// must come from the same read transaction.
pub fn resolve(conn: &Connection, families: &mut Families, r#use: Use) -> rusqlite::Result<bool> {
    let Some(KeyFilter { like_: Some(needle), candidates: slot, .. }) =
        families.artifacts.as_mut().and_then(|a| a.key.as_mut())
    else {
        return Ok(false);
    };
    if needle.is_empty() {
        return Ok(false);
    }
    *slot = candidates(conn, needle, most_keys(conn, r#use)?)?;
    Ok(true)
}

/// Whether a filter has a `like_` that [`resolve`] would look up.
pub fn wants(families: &Families) -> bool {
    families
        .artifacts
        .as_ref()
        .and_then(|a| a.key.as_ref())
        .and_then(|k| k.like_.as_deref())
        .is_some_and(|n| literal_run(n).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_literal_run_is_searched() {
        assert_eq!(literal_run("abc").as_deref(), Some("abc"));
        assert_eq!(literal_run("ab%CDEF_g").as_deref(), Some("cdef"));
        assert_eq!(literal_run("ab"), None);
        assert_eq!(literal_run("a_b%c"), None);
        assert_eq!(literal_run("ééé"), None, "no key has it: the walk answers");
        assert_eq!(literal_run("abc\0xyz"), None, "SQLite's LIKE stops at a NUL");
    }

    use crate::db::{artifacts, Db};
    use crate::schemas::filters::artifacts::Table;
    use crate::schemas::query::FilterQuery;

    fn exec(db: &Db, sql: &str) {
        let sql = sql.to_string();
        db.write(move |c, _| -> anyhow::Result<()> { Ok(c.execute_batch(&sql)?) }).unwrap();
    }

    fn ids(conn: &Connection, sql: &str, needle: &str) -> Vec<String> {
        conn.prepare(sql)
            .unwrap()
            .query_map([format!("%{needle}%")], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// The index is in step with both tables, and the narrowed filters
    /// answer what a plain LIKE answers, after each kind of write.
    #[test]
    fn narrowed_answers_equal_a_plain_like_through_every_kind_of_write() {
        let db = Db::open(":memory:").unwrap();
        let mut script = String::new();
        for i in 0..300 {
            let key = if i % 7 == 0 { "NULL".to_string() } else { format!("'key-{}-{}'", i % 40, ["red", "blue", "rare"][i % 3]) };
            script.push_str(&format!(
                "INSERT INTO artifact (id, created, updated, key, type) VALUES ('a{i:03}', '2025-01-01T00:00:{:02}.000000Z', 'x', {key}, 'table');",
                i % 60
            ));
        }
        // Too long for trigrams: found through the '' entry.
        script.push_str(&format!(
            "INSERT INTO artifact (id, created, updated, key) VALUES ('b000', 'x', 'x', '{}-rare-tail');",
            "x".repeat(600)
        ));
        script.push_str(
            "INSERT INTO artifact_collection (id, created, updated, key, latest_id) \
             SELECT 'c' || key, 'x', 'x', key, max(id) FROM artifact WHERE key IS NOT NULL GROUP BY key;",
        );
        exec(&db, &script);
        let writes = [
            "",
            "UPDATE artifact SET key = 'moved-rare' WHERE id = 'a001';",
            "DELETE FROM artifact WHERE key = 'key-2-rare';",
            "UPDATE artifact_collection SET key = 'only-in-latest-rare' WHERE key = 'key-5-rare';",
            "DELETE FROM artifact_collection WHERE key LIKE '%blue%'; DELETE FROM artifact WHERE key LIKE 'key-1%';",
            "UPDATE artifact SET key = NULL WHERE id = 'a004';",
        ];
        let needles = ["rare-tail", "xxx", "rare", "RARE", "key-1", "y-3", "e-r", "moved", "only-in", "re%y", "k_y-5-r", "zzz", "ar"];
        for w in writes {
            exec(&db, w);
            let conn = db.reader().unwrap();
            let stored: Vec<String> = conn
                .prepare("SELECT key FROM artifact_key ORDER BY key").unwrap()
                .query_map([], |r| r.get(0)).unwrap()
                .collect::<Result<_, _>>().unwrap();
            let expected: Vec<String> = conn
                .prepare("SELECT key FROM artifact WHERE key IS NOT NULL UNION SELECT key FROM artifact_collection ORDER BY 1").unwrap()
                .query_map([], |r| r.get(0)).unwrap()
                .collect::<Result<_, _>>().unwrap();
            assert_eq!(stored, expected, "after {w:?}");
            let counts = |sql: &str| -> Vec<(String, i64)> {
                conn.prepare(sql).unwrap().query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap()
                    .collect::<Result<_, _>>().unwrap()
            };
            assert_eq!(
                counts("SELECT trigram, keys FROM artifact_key_trigram_count ORDER BY 1"),
                counts("SELECT trigram, count(*) FROM artifact_key_trigram GROUP BY 1 ORDER BY 1"),
                "after {w:?}"
            );
            for needle in needles {
                for (table, plain) in [
                    (Table::Artifact, "SELECT id FROM artifact WHERE key LIKE ?1 ORDER BY id DESC LIMIT 200"),
                    (Table::Collection, "SELECT id FROM artifact_collection WHERE key LIKE ?1 ORDER BY id DESC LIMIT 200"),
                ] {
                    let body = serde_json::json!({"artifacts": {"key": {"like_": needle}}, "sort": "ID_DESC"});
                    let q = FilterQuery::parse(table, &Some(body)).unwrap();
                    let got: Vec<String> = artifacts::filter(&conn, &q).unwrap().into_iter().map(|r| r.id).collect();
                    let want = ids(&conn, plain, needle);
                    assert_eq!(got, want, "{needle:?} on {table:?} after {w:?}");
                    assert_eq!(artifacts::count(&conn, &q.families).unwrap(), want.len() as i64);
                }
            }
        }
        // A rare needle really was narrowed (else this test proves nothing).
        let conn = db.reader().unwrap();
        assert!(candidates(&conn, "moved", 1024).unwrap().is_some_and(|k| k == ["moved-rare"]));
        assert_eq!(candidates(&conn, "zzz", 1024).unwrap(), Some(vec![]));
        assert_eq!(candidates(&conn, "key", 10).unwrap(), None, "more keys than asked for: the walk is used");
        assert!(candidates(&conn, "key", 1024).unwrap().is_some_and(|k| k.len() > 64), "a list longer than placeholders");
        drop(conn);

        // A reset between tests empties the index with the tables, and it
        // works on afterwards.
        crate::fixtures::load_sources(&db, true, vec![]).unwrap();
        exec(&db, "INSERT INTO artifact (id, created, updated, key) VALUES ('n1', 'x', 'x', 'after-reset');");
        let conn = db.reader().unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM artifact_key", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1);
        let n: i64 = conn.query_row("SELECT count(*) FROM artifact_key_trigram", [], |r| r.get(0)).unwrap();
        assert_eq!(n, "after-reset".len() as i64 - 2);
        assert_eq!(candidates(&conn, "reset", 1024).unwrap(), Some(vec!["after-reset".to_string()]));
    }
}
