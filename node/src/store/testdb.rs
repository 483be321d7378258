//! Throwaway PostgreSQL databases for tests.
//!
//! PostgreSQL tests run only when `ITI_TEST_POSTGRES_URL` names a server
//! and a database to connect to first (for example
//! `postgres://iti:iti@127.0.0.1:5432/postgres`); the role needs the
//! `CREATEDB` privilege. Each test gets a database of its own, named
//! `iti_t_<random hex>`, so tests run in parallel and never see each
//! other's rows; [`ThrowawayDatabase`] drops it when the test is done.

use sqlx::{AnyConnection, Connection, Executor};

use super::composed;

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

async fn admin_connection(base: &str) -> AnyConnection {
    sqlx::any::install_default_drivers();
    AnyConnection::connect(base)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={base:?}: cannot connect: {e}"))
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
    let name = format!("{PREFIX}{}", hex::encode(rand::random::<[u8; 8]>()));
    let url = with_database(&base, &name)
        .unwrap_or_else(|| panic!("{POSTGRES_URL_VAR}={base:?} is not a postgres:// URL"));
    let mut conn = admin_connection(&base).await;
    // The name is ours (hex digits), never input.
    conn.execute(composed(format!("CREATE DATABASE {name}")))
        .await
        .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
    let _ = conn.close().await;
    Some(ThrowawayDatabase {
        url,
        name,
        admin_url: base,
        kept: false,
    })
}

/// The prefix of every test database's name; `.ci/run` drops leftovers
/// (from a killed run) by it.
pub const PREFIX: &str = "iti_t_";

async fn drop_database(admin_url: &str, name: &str) {
    let mut conn = match AnyConnection::connect(admin_url).await {
        Ok(conn) => conn,
        Err(e) => {
            eprintln!("could not drop test database {name}: {e}");
            return;
        }
    };
    if let Err(e) = conn
        .execute(composed(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await
    {
        eprintln!("could not drop test database {name}: {e}");
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
