//! Throwaway PostgreSQL databases for tests.
//!
//! PostgreSQL tests run only when `ITI_TEST_POSTGRES_URL` names a server
//! and a database to connect to first (for example
//! `postgres://iti:iti@127.0.0.1:5432/postgres`); the role needs the
//! `CREATEDB` privilege. Each test gets a database of its own, named
//! `iti_t_<random hex>`, so tests run in parallel and never see each
//! other's rows; [`ThrowawayDatabase`] drops it when the test is done.

use sqlx::{Connection, Executor};

use super::{StoreError, composed, hosts};

/// The environment variable that enables the PostgreSQL tests.
pub const POSTGRES_URL_VAR: &str = "ITI_TEST_POSTGRES_URL";

/// Where the database name sits in a `postgres://` URL: the path after the
/// authority, up to the query string.
fn split_database(url: &str) -> Option<(&str, &str, &str)> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let path_start = scheme_end + rest.find(['/', '?']).unwrap_or(rest.len());
    let query_start = url[path_start..]
        .find('?')
        .map_or(url.len(), |i| path_start + i);
    Some((
        &url[..path_start],
        url[path_start..query_start].trim_start_matches('/'),
        &url[query_start..],
    ))
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> Option<String> {
    let (head, _, query) = split_database(url)?;
    Some(format!("{head}/{database}{query}"))
}

/// A PostgreSQL database made for one test, dropped (with any connection
/// still open to it) when this guard is dropped, even when the test panics.
/// Test databases left behind pile up on the server: each costs a directory
/// that crash recovery must sync before the server accepts connections.
#[derive(Debug)]
pub struct ThrowawayDatabase {
    url: String,
    name: String,
    admin_url: String,
    kept: bool,
}

impl ThrowawayDatabase {
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Leaves the database on the server (to inspect it after the test).
    pub fn keep(&mut self) {
        self.kept = true;
    }
}

/// A new, empty PostgreSQL database, or `None` when `ITI_TEST_POSTGRES_URL`
/// is unset (the caller skips its test). Panics when the variable is set but
/// the server cannot be used: a misconfigured CI should fail, not silently
/// skip.
pub async fn fresh_postgres() -> Option<ThrowawayDatabase> {
    let base = std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|s| !s.trim().is_empty())?;
    Some(
        fresh_postgres_on(&base)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={base:?}: {e}")),
    )
}

/// A new, empty database on the server of `base` (on the first of its
/// servers that accepts writes, when it lists several), and its URL: `base`
/// with the database replaced.
pub async fn fresh_postgres_on(base: &str) -> Result<ThrowawayDatabase, StoreError> {
    let name = format!("{PREFIX}{}", hex::encode(rand::random::<[u8; 8]>()));
    let url = with_database(base, &name).ok_or_else(|| {
        StoreError::BadUrl(format!("{} is not a postgres:// URL", hosts::redact(base)))
    })?;
    let mut conn = hosts::connect_writable(base).await?;
    // The name is ours (hex digits), never input.
    conn.execute(composed(format!("CREATE DATABASE {name}")))
        .await?;
    let _ = conn.close().await;
    Ok(ThrowawayDatabase {
        url,
        name,
        admin_url: base.to_string(),
        kept: false,
    })
}

/// The prefix of every test database's name; `.ci/run` drops leftovers
/// (from a killed run) by it.
pub const PREFIX: &str = "iti_t_";

async fn drop_database(admin_url: &str, name: &str) {
    // After a failover the database is on another server of the list.
    let mut conn = match hosts::connect_writable(admin_url).await {
        Ok(conn) => conn,
        Err(e) => {
            eprintln!("could not drop test database {name}: {e}");
            return;
        }
    };
    let force = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    if conn.execute(composed(force)).await.is_err() {
        // FORCE ends nothing unless it may end every process on the
        // database, and autovacuum's (busy after a large import) needs a
        // superuser's right. A plain drop stops autovacuum itself, once
        // this role's own connections (a store still closing) are ended.
        let _ = sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()",
        )
        .bind(name)
        .execute(&mut conn)
        .await;
        let plain = format!("DROP DATABASE IF EXISTS {name}");
        if let Err(e) = conn.execute(composed(plain)).await {
            eprintln!("could not drop test database {name}: {e}");
        }
    }
    let _ = conn.close().await;
}

impl Drop for ThrowawayDatabase {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let (admin_url, name) = (self.admin_url.clone(), std::mem::take(&mut self.name));
        // Drop cannot await, and may run inside a runtime that must not be
        // blocked from within: a thread of its own with its own runtime.
        let dropper =
            std::thread::spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(drop_database(&admin_url, &name)),
                    Err(e) => eprintln!("could not drop test database {name}: {e}"),
                }
            });
        let _ = dropper.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_and_keeps_the_rest() {
        assert_eq!(
            with_database("postgres://iti:iti@127.0.0.1:5432/postgres", "x").as_deref(),
            Some("postgres://iti:iti@127.0.0.1:5432/x")
        );
        assert_eq!(
            with_database("postgres://iti@localhost/postgres?sslmode=disable", "x").as_deref(),
            Some("postgres://iti@localhost/x?sslmode=disable")
        );
        assert_eq!(
            with_database("postgresql://localhost", "x").as_deref(),
            Some("postgresql://localhost/x")
        );
        assert_eq!(
            with_database("postgres://h?sslmode=disable", "x").as_deref(),
            Some("postgres://h/x?sslmode=disable")
        );
        assert_eq!(with_database("not a url", "x"), None);
    }
}
