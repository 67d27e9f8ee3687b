//! Parsing of a phase's hand-written expectation table (`.` allowed, `X` denied).

use std::collections::BTreeMap;

use crate::cell::Reach;

/// Parses a table whose first row is a corner label followed by destination names, then one row per pod.
/// Every pod and every destination must appear exactly once; `#` comments are ignored.
pub fn parse_table(
    text: &str,
    pods: &[&str],
    destinations: &[&str],
) -> Result<BTreeMap<(String, String), Reach>, String> {
    // `#` starts a comment, on a line of its own or at the end of a row (names and symbols never contain it).
    let mut lines = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or("empty table: expected a header row of destination names")?
        .split_whitespace()
        .skip(1)
        .collect();
    for name in &header {
        if !destinations.contains(name) {
            return Err(format!(
                "unknown destination {name:?} in the header (known: {})",
                destinations.join(", ")
            ));
        }
    }
    if let Some(missing) = destinations.iter().find(|d| !header.contains(d)) {
        return Err(format!("destination {missing:?} has no column"));
    }
    let mut table = BTreeMap::new();
    let mut seen_pods = Vec::new();
    for line in lines {
        let mut words = line.split_whitespace();
        let pod = words.next().unwrap_or_default();
        if !pods.contains(&pod) {
            return Err(format!("unknown pod {pod:?} (known: {})", pods.join(", ")));
        }
        if seen_pods.contains(&pod) {
            return Err(format!("pod {pod:?} has two rows"));
        }
        seen_pods.push(pod);
        let symbols: Vec<&str> = words.collect();
        if symbols.len() != header.len() {
            return Err(format!(
                "row {pod:?} has {} cells, the header has {}",
                symbols.len(),
                header.len()
            ));
        }
        for (destination, symbol) in header.iter().zip(symbols) {
            let reach = Reach::from_symbol(symbol).ok_or_else(|| {
                format!("row {pod:?}: {symbol:?} is neither `.` (allowed) nor `X` (denied)")
            })?;
            table.insert((pod.to_owned(), (*destination).to_owned()), reach);
        }
    }
    if let Some(missing) = pods.iter().find(|p| !seen_pods.contains(p)) {
        return Err(format!("pod {missing:?} has no row"));
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_full_table() {
        let table = parse_table(
            "from metadata web\npod1 X .\npod2 . X\n",
            &["pod1", "pod2"],
            &["metadata", "web"],
        )
        .unwrap();
        assert_eq!(table[&("pod1".into(), "metadata".into())], Reach::Deny);
        assert_eq!(table[&("pod2".into(), "metadata".into())], Reach::Allow);
        assert_eq!(table[&("pod2".into(), "web".into())], Reach::Deny);
    }

    #[test]
    fn comments_on_their_own_lines_and_after_rows_are_ignored() {
        let table = parse_table(
            "# who reaches what\nfrom metadata web  # columns\n  # pod1 first\npod1 X .   # denied by the deny\npod2 . X#tight\n",
            &["pod1", "pod2"],
            &["metadata", "web"],
        )
        .unwrap();
        assert_eq!(table.len(), 4);
        assert_eq!(table[&("pod1".into(), "metadata".into())], Reach::Deny);
        assert_eq!(table[&("pod2".into(), "web".into())], Reach::Deny);
    }

    #[test]
    fn rejects_incomplete_or_odd_tables() {
        let pods = ["pod1", "pod2"];
        let dests = ["a", "b"];
        assert!(
            parse_table("- a b\npod1 . .\n", &pods, &dests)
                .unwrap_err()
                .contains("pod \"pod2\" has no row")
        );
        assert!(
            parse_table("- a\npod1 .\npod2 .\n", &pods, &dests)
                .unwrap_err()
                .contains("\"b\" has no column")
        );
        assert!(
            parse_table("- a b\npod1 . ?\npod2 . .\n", &pods, &dests)
                .unwrap_err()
                .contains("neither")
        );
        assert!(
            parse_table("- a b\npod1 .\npod2 . .\n", &pods, &dests)
                .unwrap_err()
                .contains("1 cells")
        );
        assert!(
            parse_table("- a b c\n", &pods, &dests)
                .unwrap_err()
                .contains("unknown destination")
        );
    }
}
