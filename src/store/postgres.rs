//! The PostgreSQL backend (cargo feature `postgres`): a connection over
//! TLS through rustls when the server offers it (`sslmode` in the URL, as
//! libpq reads it: `prefer` by default, `require` to refuse plain text),
//! prepared statements cached per connection, the schema version in the
//! one-row table `readmore_schema`, and session advisory locks, which the
//! server releases when the connection ends: a worker that dies holds
//! nothing.
//!
//! The URL's password is sent to the server and shown nowhere: every
//! message names the store through [`crate::redact`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use bytes::BytesMut;
use postgres::Statement;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use rustls::ClientConfig;
use rustls_platform_verifier::ConfigVerifierExt;
use sha2::{Digest, Sha256};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::db::{Db, Row, Value, args};
use crate::error::Busy;

/// How a write transaction starts: one at a time across every process
/// sharing the database, as SQLite's `BEGIN IMMEDIATE` (the lock is the
/// transaction's, released at its end).
pub(super) const BEGIN_WRITE: &str = "BEGIN; SELECT pg_advisory_xact_lock(8243122740787294821)";

/// A connection with its prepared statements.
pub(in crate::store) struct Client {
    conn: RefCell<postgres::Client>,
    statements: RefCell<HashMap<String, Statement>>,
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Value::Int(v) => v.to_sql(ty, out),
            Value::Text(v) => v.as_str().to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [Type::INT4, Type::INT8, Type::TEXT, Type::VARCHAR].contains(ty)
    }

    to_sql_checked!();
}

/// Connects to the database at `url`.
pub(super) fn connect(url: &str) -> Result<Client> {
    let mut config = postgres::Config::from_str(url).context("not a PostgreSQL connection URL")?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(30));
    }
    config.application_name("readmore");
    // One crypto provider for rustls; a second call finds it installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tls = ClientConfig::with_platform_verifier().context("cannot set up TLS")?;
    let conn = config
        .connect(MakeRustlsConnect::new(tls))
        .map_err(|e| anyhow!(describe(&e)))?;
    Ok(Client {
        conn: RefCell::new(conn),
        statements: RefCell::new(HashMap::new()),
    })
}

/// A PostgreSQL error with its causes, as one line.
fn describe(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

impl Client {
    fn statement(&self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = self
            .conn
            .borrow_mut()
            .prepare(sql)
            .map_err(|e| anyhow!(describe(&e)))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    pub(super) fn execute(&self, sql: &str, params: &[Value]) -> Result<u64> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        self.conn
            .borrow_mut()
            .execute(&statement, &params)
            .map_err(|e| anyhow!(describe(&e)))
    }

    pub(super) fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let rows = self
            .conn
            .borrow_mut()
            .query(&statement, &params)
            .map_err(|e| anyhow!(describe(&e)))?;
        rows.iter().map(row).collect()
    }

    pub(super) fn batch(&self, sql: &str) -> Result<()> {
        self.conn
            .borrow_mut()
            .batch_execute(sql)
            .map_err(|e| anyhow!(describe(&e)))
    }
}

fn row(row: &postgres::Row) -> Result<Row> {
    let cells = row
        .columns()
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let ty = column.type_();
            let value = if *ty == Type::INT8 {
                row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
            } else if *ty == Type::INT4 {
                row.try_get::<_, Option<i32>>(i)?
                    .map(|v| Value::Int(v.into()))
            } else if *ty == Type::BOOL {
                row.try_get::<_, Option<bool>>(i)?
                    .map(|v| Value::Int(v.into()))
            } else {
                row.try_get::<_, Option<String>>(i)?.map(Value::Text)
            };
            Ok(value.unwrap_or(Value::Null))
        })
        .collect::<Result<_, postgres::Error>>()
        .map_err(|e| anyhow!(describe(&e)))?;
    Ok(Row(cells))
}

/// The schema version recorded in `readmore_schema`; 0 without one.
pub(super) fn version(db: &Db) -> Result<i64> {
    let recorded = db.exists(
        "SELECT 1 FROM information_schema.tables
         WHERE table_schema = current_schema() AND table_name = 'readmore_schema'",
        &[],
    )?;
    if !recorded {
        return Ok(0);
    }
    match db.query_opt("SELECT version FROM readmore_schema", &[])? {
        Some(mut row) => row.int(0),
        None => Ok(0),
    }
}

pub(super) fn set_version(db: &Db, version: i64) -> Result<()> {
    db.batch(
        "CREATE TABLE IF NOT EXISTS readmore_schema (version BIGINT NOT NULL);
         DELETE FROM readmore_schema",
    )?;
    db.execute(
        "INSERT INTO readmore_schema (version) VALUES ($1)",
        args![version],
    )?;
    Ok(())
}

/// The advisory lock key of `name`: 64 bits of its digest.
pub(super) fn key(name: &str) -> i64 {
    let digest = Sha256::digest(format!("readmore\0{name}").as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("a digest has 8 bytes"))
}

/// Takes the session advisory lock `name`, trying until `timeout`; fails
/// with [`Busy`] (naming the lock as `shown`) when another connection
/// holds it that long.
pub(super) fn hold(db: &Db, name: &str, shown: &str, timeout: Duration) -> Result<()> {
    let start = Instant::now();
    loop {
        let mut row = db
            .query_opt("SELECT pg_try_advisory_lock($1)", args![key(name)])?
            .context("pg_try_advisory_lock answers")?;
        if row.int(0)? == 1 {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            return Err(Busy {
                lock: shown.to_string(),
                waited: timeout,
            }
            .into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Releases the session advisory lock `name`.
pub(super) fn unlock(db: &Db, name: &str) -> Result<()> {
    db.query("SELECT pg_advisory_unlock($1)", args![key(name)])?;
    Ok(())
}
