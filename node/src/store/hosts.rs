//! Where the PostgreSQL primary is, when it can move.
//!
//! A database URL may list several servers, as libpq's does:
//! `postgres://user:pw@db1:5432,db2:5432/iti?target_session_attrs=read-write`
//! (sqlx 0.9 takes one host and ignores `target_session_attrs`, so the store
//! does this itself). The store then connects to the first server, in the
//! order given, that accepts writes; with `read-write` (or `primary`) a
//! server in recovery (a standby) or read-only is passed over, and a
//! connection that finds itself on one is refused. When the primary goes
//! away, or turns out to be read-only (a failover, a switchover), the writer
//! and a check every second move both of the store's pools to whichever
//! server accepts writes now: streaming replication and its promotion are
//! PostgreSQL's (or Patroni's, or CloudNativePG's) business; finding the
//! new primary is this module's.

use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection};

use super::StoreError;

/// How long one server may take to accept a connection while the primary is
/// looked for.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// A PostgreSQL database URL split into one URL per server listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Servers {
    /// One `postgres://` URL per server, in the order given.
    pub urls: Vec<String>,
    /// `target_session_attrs=read-write` or `primary`: only a server that
    /// accepts writes will do.
    pub writable_only: bool,
}

/// Splits `url` into one URL per listed server, each with the user,
/// database and parameters of the original, `target_session_attrs` taken
/// out (sqlx does not know it) and `application_name` set to `name` unless
/// the URL sets it.
pub fn servers(url: &str, name: &str) -> Result<Servers, StoreError> {
    let bad = |why: &str| StoreError::BadUrl(format!("{why} in {}", redact(url)));
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, q),
        None => (tail, ""),
    };
    let mut writable_only = false;
    let mut params = Vec::new();
    let mut named = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "target_session_attrs" => {
                writable_only = match value {
                    "read-write" | "primary" => true,
                    "any" => false,
                    other => {
                        return Err(bad(&format!(
                            "target_session_attrs={other} (the node supports any, read-write \
                             and primary)"
                        )));
                    }
                }
            }
            _ => {
                named |= key == "application_name";
                params.push(pair.to_string());
            }
        }
    }
    if !named && !name.is_empty() {
        params.push(format!("application_name={}", encode(name)));
    }
    let query = if params.is_empty() {
        String::new()
    } else {
        format!("?{}", params.join("&"))
    };
    let user = userinfo.map(|u| format!("{u}@")).unwrap_or_default();
    let urls: Vec<String> = hosts
        .split(',')
        .map(|host| {
            if host.is_empty() {
                Err(bad("an empty host"))
            } else {
                Ok(format!("{scheme}://{user}{host}{path}{query}"))
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(Servers {
        urls,
        writable_only,
    })
}

/// Percent-encodes what a URL query value may not hold as is.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `url` without its password, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((user, hosts)) => {
            let user = user.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{hosts}{}", &rest[end..])
        }
        None => url.to_string(),
    }
}

/// Whether the session `conn` is in accepts writes: not a standby in
/// recovery, not `default_transaction_read_only` (what libpq checks for
/// `read-write`).
pub async fn accepts_writes(conn: &mut AnyConnection) -> Result<bool, sqlx::Error> {
    let read_only: String = sqlx::query_scalar("SHOW transaction_read_only")
        .fetch_one(conn)
        .await?;
    Ok(read_only == "off")
}

/// How often a store whose URL lists several servers checks that it is on
/// the one that accepts writes.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// The servers of one store and which of them its pools use now.
pub struct Locator {
    options: Vec<AnyConnectOptions>,
    pub writable_only: bool,
    /// The server the pools use, and when they were last moved to it.
    current: Mutex<(usize, Instant)>,
    /// The store's pools, moved together.
    pools: Mutex<Vec<AnyPool>>,
}

impl std::fmt::Debug for Locator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Locator")
            .field("servers", &self.options.len())
            .field("writable_only", &self.writable_only)
            .finish()
    }
}

impl Locator {
    pub fn new(servers: &Servers) -> Result<Locator, StoreError> {
        let options = servers
            .urls
            .iter()
            .map(|u| AnyConnectOptions::from_str(u))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Locator {
            options,
            writable_only: servers.writable_only,
            current: Mutex::new((0, Instant::now())),
            pools: Mutex::new(Vec::new()),
        })
    }

    /// Before the pools exist: picks the first server that will do, when
    /// there is a choice.
    pub async fn settle(&self) -> Result<(), StoreError> {
        if !self.can_move() {
            return Ok(());
        }
        let found = self.find().await.ok_or_else(|| {
            StoreError::Unavailable(format!(
                "none of the {} servers of database_url {}",
                self.options.len(),
                if self.writable_only {
                    "accepts writes"
                } else {
                    "answers"
                }
            ))
        })?;
        *self.state() = (found, Instant::now());
        Ok(())
    }

    /// Moves `pool` with the others when the primary moves.
    pub fn serve(&self, pool: &AnyPool) {
        self.pools
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(pool.clone());
    }

    /// More than one server: the primary may move between them.
    pub fn can_move(&self) -> bool {
        self.options.len() > 1
    }

    /// The options of the server the pools use now.
    pub fn current(&self) -> AnyConnectOptions {
        let (i, _) = *self.state();
        self.options[i].clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, (usize, Instant)> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a pooled connection opened `age` ago predates the last move
    /// (and so may be on a server that is no longer the primary).
    pub fn is_stale(&self, age: Duration) -> bool {
        let (_, moved_at) = *self.state();
        age > moved_at.elapsed()
    }

    /// Whether a new connection is acceptable: on a server that accepts
    /// writes, when only such a server will do.
    pub async fn acceptable(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        if self.writable_only && !accepts_writes(conn).await? {
            return Err(sqlx::Error::Configuration(
                "this server does not accept writes (a standby, or read-only): \
                 target_session_attrs=read-write"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The first server, in the order given, that answers and is
    /// acceptable; `None` if none is now.
    pub async fn find(&self) -> Option<usize> {
        for (i, options) in self.options.iter().enumerate() {
            let probe = async {
                let mut conn = options.connect().await?;
                let ok = !self.writable_only || accepts_writes(&mut conn).await?;
                let _ = conn.close().await;
                Ok::<_, sqlx::Error>(ok)
            };
            match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
                Ok(Ok(true)) => return Some(i),
                Ok(Ok(false)) => {
                    tracing::debug!(server = i, "database server does not accept writes")
                }
                Ok(Err(e)) => {
                    tracing::debug!(server = i, error = %e, "database server unreachable")
                }
                Err(_) => tracing::debug!(server = i, "database server did not answer in time"),
            }
        }
        None
    }

    /// Points the pools at the server that will do now, if it is not the
    /// one they use. Returns whether one was found.
    pub async fn relocate(&self) -> bool {
        let Some(found) = self.find().await else {
            tracing::warn!("no database server of database_url accepts writes now");
            return false;
        };
        let mut state = self.state();
        if state.0 != found {
            tracing::warn!(from = state.0, to = found, "the database primary moved");
            *state = (found, Instant::now());
            for pool in self.pools.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                pool.set_connect_options(self.options[found].clone());
            }
        }
        true
    }

    /// Checks every second, on a connection of its own, that the server in
    /// use still answers and (if required) accepts writes, and moves the
    /// pools when it does not: reads, and the outbox's claims, find the new
    /// primary even when nothing is written. Runs until its task is dropped.
    pub async fn watch(self: std::sync::Arc<Self>) {
        let mut probe: Option<AnyConnection> = None;
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            let fine = match probe.as_mut() {
                Some(conn) => matches!(
                    tokio::time::timeout(PROBE_TIMEOUT, accepts_writes(conn)).await,
                    Ok(Ok(writable)) if writable || !self.writable_only
                ),
                None => false,
            };
            if fine {
                continue;
            }
            probe = None;
            if self.relocate().await {
                let options = self.current();
                probe = tokio::time::timeout(PROBE_TIMEOUT, options.connect())
                    .await
                    .ok()
                    .and_then(Result::ok);
            }
        }
    }
}

/// A connection to the first server of `url` that accepts writes (for
/// tools and tests; the store keeps pools).
pub async fn connect_writable(url: &str) -> Result<AnyConnection, StoreError> {
    sqlx::any::install_default_drivers();
    let servers = servers(url, "")?;
    for server in &servers.urls {
        let Ok(Ok(mut conn)) =
            tokio::time::timeout(PROBE_TIMEOUT, AnyConnection::connect(server)).await
        else {
            continue;
        };
        if accepts_writes(&mut conn).await? {
            return Ok(conn);
        }
        let _ = conn.close().await;
    }
    Err(StoreError::Unavailable(format!(
        "no server of {} accepts writes",
        redact(url)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_hosts_becomes_one_url_per_server() {
        let s = servers(
            "postgres://iti:pw@db1:5433,db2:5434/iti?target_session_attrs=read-write&sslmode=disable",
            "GHA-a",
        )
        .unwrap();
        assert!(s.writable_only);
        assert_eq!(
            s.urls,
            [
                "postgres://iti:pw@db1:5433/iti?sslmode=disable&application_name=GHA-a",
                "postgres://iti:pw@db2:5434/iti?sslmode=disable&application_name=GHA-a",
            ]
        );
    }

    #[test]
    fn one_host_stays_one_and_a_given_application_name_wins() {
        let s = servers("postgres://db/iti?application_name=ops", "GHA-a").unwrap();
        assert!(!s.writable_only);
        assert_eq!(s.urls, ["postgres://db/iti?application_name=ops"]);
        let s = servers("postgresql://u@[::1]:5432", "GHA a/1").unwrap();
        assert_eq!(
            s.urls,
            ["postgresql://u@[::1]:5432?application_name=GHA%20a%2F1"]
        );
    }

    #[test]
    fn unsupported_session_attributes_and_empty_hosts_are_refused_without_the_password() {
        let e = servers(
            "postgres://iti:secret@db/iti?target_session_attrs=standby",
            "x",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("target_session_attrs=standby"), "{e}");
        assert!(!e.contains("secret"), "{e}");
        let e = servers("postgres://iti:secret@db1,,db2/iti", "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("empty host") && !e.contains("secret"), "{e}");
    }
}
