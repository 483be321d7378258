//! Statements built for many rows: placeholders for either backend.

use super::Backend;

/// One placeholder: numbered for PostgreSQL; plain `?` for SQLite, whose
/// driver looks each numbered one up by name in a list as long as the
/// statement's (quadratic: with 4,500 values a statement, that lookup was
/// nine tenths of an import's time).
pub(super) fn placeholder(backend: Backend, n: usize, out: &mut String) {
    match backend {
        Backend::Sqlite => out.push('?'),
        Backend::Postgres => {
            out.push('$');
            out.push_str(&n.to_string());
        }
    }
}

/// `(p1, p2, ...), (...)`: `rows` groups of `width` placeholders from `first`.
pub(super) fn placeholders(backend: Backend, rows: usize, width: usize, first: usize) -> String {
    let mut s = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..width {
            if c > 0 {
                s.push_str(", ");
            }
            placeholder(backend, first + r * width + c, &mut s);
        }
        s.push(')');
    }
    s
}

/// Placeholders `first..first + n` for an IN list.
pub(super) fn list(backend: Backend, n: usize, first: usize) -> String {
    let mut s = String::new();
    for i in first..first + n {
        if i > first {
            s.push_str(", ");
        }
        placeholder(backend, i, &mut s);
    }
    s
}

/// PostgreSQL: the rows of a batch bound as columns, each one JSON array of
/// strings (parameters `$first`, `$first + 1`...), zipped back into rows by
/// the server, numbered `n` in the order they were bound. Ten parameters
/// for ten columns however many rows: a row of placeholders each cost the
/// server a parse of every one, thousands a statement. Select from it with
/// `ORDER BY n` to write in the caller's order.
pub(super) fn json_columns(first: usize, names: &[&str]) -> String {
    let arrays = (first..first + names.len())
        .map(|i| format!("json_array_elements_text(${i}::json)"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "ROWS FROM ({arrays}) WITH ORDINALITY AS batch ({}, n)",
        names.join(", ")
    )
}

/// One column of [`json_columns`]: its values as a JSON array of strings.
pub(super) fn json_column<'a>(values: impl Iterator<Item = &'a str>) -> String {
    serde_json::to_string(&values.collect::<Vec<_>>()).expect("a list of strings always serialises")
}
