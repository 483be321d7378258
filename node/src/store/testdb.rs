//! Throwaway PostgreSQL databases for tests.
//!
//! PostgreSQL tests run only when `ITI_TEST_POSTGRES_URL` names a server
//! and a database to connect to first (for example
//! `postgres://iti:iti@127.0.0.1:5432/postgres`); the role needs the
//! `CREATEDB` privilege. Each test gets a database of its own, named
//! `iti_t_<random hex>`, so tests run in parallel and never see each
//! other's rows. [`drop_postgres`] removes one when the test is done.

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

/// The URL of a new, empty PostgreSQL database, or `None` when
/// `ITI_TEST_POSTGRES_URL` is unset (the caller skips its test). Panics when
/// the variable is set but the server cannot be used: a misconfigured CI
/// should fail, not silently skip.
pub async fn fresh_postgres_url() -> Option<String> {
    let base = std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|s| !s.trim().is_empty())?;
    let name = format!("iti_t_{}", hex::encode(rand::random::<[u8; 8]>()));
    let url = with_database(&base, &name)
        .unwrap_or_else(|| panic!("{POSTGRES_URL_VAR}={base:?} is not a postgres:// URL"));
    let mut conn = admin_connection(&base).await;
    // The name is ours (hex digits), never input.
    conn.execute(composed(format!("CREATE DATABASE {name}")))
        .await
        .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
    let _ = conn.close().await;
    Some(url)
}

/// Drops a database made by [`fresh_postgres_url`], closing any connection
/// still open to it. Does nothing for other URLs.
pub async fn drop_postgres(url: &str) {
    let Ok(base) = std::env::var(POSTGRES_URL_VAR) else {
        return;
    };
    let Some((_, name, _)) = split_database(url) else {
        return;
    };
    let ours = name
        .strip_prefix("iti_t_")
        .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if !ours {
        return;
    }
    let mut conn = admin_connection(&base).await;
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
