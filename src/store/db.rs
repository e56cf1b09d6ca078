//! One way to run SQL on either backend, so the store's queries are
//! written once.
//!
//! The store's SQL is a common dialect that SQLite and PostgreSQL both
//! accept: `$1`-style placeholders (for SQLite they become `?1`, bound by
//! number, so a query may name `$2` before `$1`), `INSERT … ON CONFLICT …
//! DO UPDATE`/`DO NOTHING`, `BIGINT`-compatible integers and text. Values
//! cross the layer as [`Value`]: integers, text or NULL, which is all the
//! store keeps. What the two engines do differently — opening, starting a
//! write transaction, claiming rows, the schema's DDL — is a method here
//! or in the backend's module, never a second copy of a query.

use std::ops::Deref;

use anyhow::{Result, anyhow};

/// A value bound to or read from a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The parameters of a query: `args![a, b]` is `&[Value::from(a), …]`.
macro_rules! args {
    ($($x:expr),* $(,)?) => {
        &[$($crate::store::db::Value::from($x)),*][..]
    };
}
pub(crate) use args;

/// One row of a result, its columns taken out by index.
#[derive(Debug)]
pub struct Row(pub(super) Vec<Value>);

impl Row {
    fn take(&mut self, i: usize) -> Result<Value> {
        let cell = self
            .0
            .get_mut(i)
            .ok_or_else(|| anyhow!("the store's query has no column {i}"))?;
        Ok(std::mem::replace(cell, Value::Null))
    }

    pub fn int(&mut self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| anyhow!("the store holds NULL in column {i}"))
    }

    pub fn opt_int(&mut self, i: usize) -> Result<Option<i64>> {
        match self.take(i)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(v)),
            Value::Text(_) => Err(anyhow!("the store holds text in integer column {i}")),
        }
    }

    pub fn text(&mut self, i: usize) -> Result<String> {
        self.opt_text(i)?
            .ok_or_else(|| anyhow!("the store holds NULL in column {i}"))
    }

    pub fn opt_text(&mut self, i: usize) -> Result<Option<String>> {
        match self.take(i)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v)),
            Value::Int(_) => Err(anyhow!("the store holds an integer in text column {i}")),
        }
    }
}

/// The engine behind a [`Db`].
pub(super) enum Backend {
    Sqlite(rusqlite::Connection),
    #[cfg(feature = "postgres")]
    Postgres(Box<super::postgres::Client>),
}

/// A connection to the store's database, on either backend.
pub struct Db {
    pub(super) backend: Backend,
}

impl Db {
    /// Runs one statement; returns the number of rows it changed.
    pub fn execute(&self, sql: &str, params: &[Value]) -> Result<u64> {
        match &self.backend {
            Backend::Sqlite(conn) => super::sqlite::execute(conn, sql, params),
            #[cfg(feature = "postgres")]
            Backend::Postgres(client) => client.execute(sql, params),
        }
    }

    /// Runs one query and returns every row.
    pub fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        match &self.backend {
            Backend::Sqlite(conn) => super::sqlite::query(conn, sql, params),
            #[cfg(feature = "postgres")]
            Backend::Postgres(client) => client.query(sql, params),
        }
    }

    /// The first row of a query, if any.
    pub fn query_opt(&self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Whether a query returns a row.
    pub fn exists(&self, sql: &str, params: &[Value]) -> Result<bool> {
        Ok(self.query_opt(sql, params)?.is_some())
    }

    /// Runs statements without parameters, separated by `;`.
    pub(super) fn batch(&self, sql: &str) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            #[cfg(feature = "postgres")]
            Backend::Postgres(client) => client.batch(sql),
        }
    }

    /// Starts a write transaction. Write transactions run one at a time,
    /// as SQLite's `BEGIN IMMEDIATE` does (on PostgreSQL, a transaction
    /// advisory lock), so the merge's date rules hold across processes.
    pub fn begin(&self) -> Result<Tx<'_>> {
        self.batch(match &self.backend {
            Backend::Sqlite(_) => "BEGIN IMMEDIATE",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => super::postgres::BEGIN_WRITE,
        })?;
        Ok(Tx {
            db: self,
            open: true,
        })
    }

    /// Starts a transaction that claims rows with [`Db::for_update`]
    /// without holding up writers of other rows.
    pub fn begin_claim(&self) -> Result<Tx<'_>> {
        self.batch(match &self.backend {
            Backend::Sqlite(_) => "BEGIN IMMEDIATE",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => "BEGIN",
        })?;
        Ok(Tx {
            db: self,
            open: true,
        })
    }

    /// What ends a `SELECT` that claims its rows for the transaction,
    /// skipping rows another connection holds. SQLite has one writer at a
    /// time (the claim's `BEGIN IMMEDIATE`), so nothing is to be skipped.
    pub fn for_update(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// An open transaction: rolled back when dropped uncommitted.
pub struct Tx<'a> {
    db: &'a Db,
    open: bool,
}

impl Tx<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        self.db.batch("COMMIT")
    }
}

impl Deref for Tx<'_> {
    type Target = Db;

    fn deref(&self) -> &Db {
        self.db
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing to do when it fails: the connection's end rolls back.
            let _ = self.db.batch("ROLLBACK");
        }
    }
}

/// `sql` with its `$N` placeholders as `?N`, for SQLite. The store's SQL
/// has no `$` inside string literals.
pub(super) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_for_sqlite() {
        assert_eq!(
            numbered("UPDATE t SET a = $2 WHERE k = $1 AND b = $10"),
            "UPDATE t SET a = ?2 WHERE k = ?1 AND b = ?10"
        );
    }
}
