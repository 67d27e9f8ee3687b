//! The one table layout every terminal view shares: sources down, destinations across.

use netreach_core::world::Protocol;

use tabled::builder::Builder;
use tabled::settings::Style;

/// Renders `rows` × `columns` with `cell(row, column)` as the content, under a `from \ to` corner.
pub fn grid(rows: &[String], columns: &[String], cell: impl Fn(usize, usize) -> String) -> String {
    let mut builder = Builder::default();
    let mut header = vec!["from \\ to".to_owned()];
    header.extend(columns.iter().cloned());
    builder.push_record(header);
    for (r, row) in rows.iter().enumerate() {
        let mut record = vec![row.clone()];
        record.extend((0..columns.len()).map(|c| cell(r, c)));
        builder.push_record(record);
    }
    builder.build().with(Style::sharp()).to_string()
}

/// The distinct values of `items` in first-seen order.
pub fn ordered_unique<T: PartialEq + Clone>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// A column heading: `name:port` (then `/udp` or `/sctp` for those protocols), or the bare name when the port is
/// unknown (0).
pub fn column_label(to: &str, port: u16, protocol: Protocol) -> String {
    let suffix = match protocol {
        Protocol::Tcp => String::new(),
        other => format!("/{}", other.as_api().to_ascii_lowercase()),
    };
    if port == 0 {
        format!("{to}{suffix}")
    } else {
        format!("{to}:{port}{suffix}")
    }
}

/// The policies in force, for a phase heading: `ns/a, ns/b`, or `none`.
pub fn policies_label(policies: &[String]) -> String {
    if policies.is_empty() {
        "none".to_owned()
    } else {
        policies.join(", ")
    }
}
