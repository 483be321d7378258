//! Several write statements in one trip to the database.
//!
//! Through sqlx every statement on SQLite is a round trip to the
//! connection's worker thread, and the single writer makes those trips one
//! after another for the whole node: under load the trips, not SQLite, were
//! the limit. SQLite runs a query of several statements in one call, so the
//! writes of a job that need no answer are gathered as [`Writes`] and sent
//! together. PostgreSQL's extended protocol takes one statement per query,
//! so there they go one by one, in the same order.
//!
//! Every write of a job goes through here (or calls `ensure_savepoint`
//! first): in a batch, the first one also creates the job's savepoint on
//! SQLite, in the same query.

use std::fmt::Write as _;

use futures::TryStreamExt;
use sqlx::{AnyConnection, Executor};

use super::{
    Backend, SAVEPOINT, StoreError, claim_owed_savepoint, composed, note_forgotten_content,
};

/// A value bound to a statement. `None` is SQL NULL, typed for PostgreSQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_string()))
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_string))
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(Some(v))
    }
}
impl From<Option<Vec<u8>>> for Value {
    fn from(v: Option<Vec<u8>>) -> Self {
        Value::Blob(v)
    }
}

/// One statement of this module's own SQL, with placeholders `$1..$n` bound
/// to its values in order.
#[derive(Debug, Clone)]
pub struct Write {
    sql: &'static str,
    values: Vec<Value>,
    /// It drops content: once committed, the writer scrubs what the old
    /// content may linger in (see `store::scrub`).
    forgets_content: bool,
}

impl Write {
    pub fn new(sql: &'static str) -> Write {
        Write {
            sql,
            values: Vec::new(),
            forgets_content: false,
        }
    }

    /// Marks a statement that drops content (a hub forgetting a payload).
    pub fn forgetting_content(mut self) -> Write {
        self.forgets_content = true;
        self
    }

    pub fn bind(mut self, value: impl Into<Value>) -> Write {
        self.values.push(value.into());
        self
    }

    /// Runs this statement alone (with the job's savepoint, if owed);
    /// returns the rows it affected.
    pub async fn execute(self, conn: &mut AnyConnection) -> Result<u64, StoreError> {
        if self.forgets_content {
            note_forgotten_content();
        }
        if !claim_owed_savepoint(&mut *conn).await? {
            let done = bind_all(sqlx::query(self.sql), self.values)
                .execute(conn)
                .await?;
            return Ok(done.rows_affected());
        }
        // SQLite reports for the savepoint the count of the last statement
        // before it, so only this statement's own count is ours.
        let sql = format!("{SAVEPOINT};\n{}", self.sql);
        let done: Vec<_> = conn
            .execute_many(bind_all(sqlx::query(composed(sql)), self.values))
            .try_collect()
            .await?;
        Ok(done.last().map_or(0, |d| d.rows_affected()))
    }
}

/// Writes gathered to go to the database together.
#[derive(Debug, Default, Clone)]
pub struct Writes(Vec<Write>);

impl From<Vec<Write>> for Writes {
    fn from(writes: Vec<Write>) -> Writes {
        Writes(writes)
    }
}

impl Writes {
    pub fn new() -> Writes {
        Writes::default()
    }

    pub fn push(&mut self, write: Write) {
        self.0.push(write);
    }

    /// Runs every write, in order: on SQLite as one query (with the job's
    /// savepoint, if owed), on PostgreSQL one statement at a time. A failing
    /// statement fails the whole job, whose savepoint or transaction then
    /// undoes the ones before it.
    pub async fn execute(self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        match (self.0.len(), Backend::of(conn)) {
            (0, _) => Ok(()),
            (1, _) | (_, Backend::Postgres) => {
                for write in self.0 {
                    write.execute(&mut *conn).await?;
                }
                Ok(())
            }
            (_, Backend::Sqlite) => {
                if self.0.iter().any(|w| w.forgets_content) {
                    note_forgotten_content();
                }
                let (mut sql, values) = fuse(self.0);
                if claim_owed_savepoint(&mut *conn).await? {
                    sql.insert_str(0, &format!("{SAVEPOINT};\n"));
                }
                bind_all(sqlx::query(composed(sql)), values)
                    .execute(conn)
                    .await?;
                Ok(())
            }
        }
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

fn bind_all(mut query: AnyQuery<'_>, values: Vec<Value>) -> AnyQuery<'_> {
    for value in values {
        query = match value {
            Value::Int(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
            Value::Blob(v) => query.bind(v),
        };
    }
    query
}

/// One SQL text of all the statements, each one's placeholders shifted past
/// the values of those before it (SQLite numbers `$n` across the whole
/// text), and all the values in order.
fn fuse(writes: Vec<Write>) -> (String, Vec<Value>) {
    let mut sql = String::new();
    let mut values = Vec::new();
    for write in writes {
        shift_placeholders(write.sql, values.len(), &mut sql);
        sql.push_str(";\n");
        values.extend(write.values);
    }
    (sql, values)
}

fn shift_placeholders(sql: &str, offset: usize, out: &mut String) {
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            let mut n = 0usize;
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                n = n * 10 + d as usize;
                chars.next();
            }
            let _ = write!(out, "${}", n + offset);
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_across_the_fused_text() {
        let (sql, values) = fuse(vec![
            Write::new("INSERT INTO a (x, y) VALUES ($1, $2)")
                .bind(1i64)
                .bind("one"),
            Write::new("UPDATE b SET z = $1 WHERE id = $2 AND w = $1 + $10")
                .bind(2i64)
                .bind("two"),
        ]);
        assert_eq!(
            sql,
            "INSERT INTO a (x, y) VALUES ($1, $2);\nUPDATE b SET z = $3 WHERE id = $4 AND w = $3 + $12;\n"
        );
        assert_eq!(
            values,
            [
                Value::Int(Some(1)),
                Value::Text(Some("one".into())),
                Value::Int(Some(2)),
                Value::Text(Some("two".into()))
            ]
        );
    }
}
