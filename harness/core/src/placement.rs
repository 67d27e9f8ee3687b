//! Spreading fixtures over nodes so that both same-node and cross-node cells are probed.

use std::collections::BTreeMap;

/// Assigns sources and destinations to nodes round-robin, each list starting on the first node.
///
/// With two or more nodes, source `i` shares a node with destination `i` (same-node cells) and the next source
/// sits on another node (cross-node cells). With one node, or none known, nothing is pinned and the scheduler
/// decides. Node names are sorted so the placement is stable across runs.
pub fn place(
    sources: &[String],
    destinations: &[String],
    nodes: &[String],
) -> BTreeMap<String, String> {
    let mut nodes: Vec<&String> = nodes.iter().collect();
    nodes.sort();
    nodes.dedup();
    if nodes.len() < 2 {
        return BTreeMap::new();
    }
    let assign = |names: &[String]| {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), nodes[i % nodes.len()].clone()))
            .collect::<Vec<_>>()
    };
    assign(sources)
        .into_iter()
        .chain(assign(destinations))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn single_node_pins_nothing() {
        assert!(place(&names(&["pod1", "pod2"]), &names(&["web"]), &names(&["n1"])).is_empty());
    }

    #[test]
    fn two_nodes_give_same_node_and_cross_node_pairs() {
        let placed = place(
            &names(&["pod1", "pod2", "pod3"]),
            &names(&["metadata", "web"]),
            &names(&["n2", "n1"]),
        );
        assert_eq!(placed["pod1"], "n1");
        assert_eq!(placed["pod2"], "n2");
        assert_eq!(placed["pod3"], "n1");
        assert_eq!(placed["metadata"], "n1");
        assert_eq!(placed["web"], "n2");
        let same = ["pod1", "pod2", "pod3"]
            .iter()
            .any(|p| placed[*p] == placed["metadata"]);
        let cross = ["pod1", "pod2", "pod3"]
            .iter()
            .any(|p| placed[*p] != placed["metadata"]);
        assert!(same && cross);
    }

    #[test]
    fn every_node_gets_work_when_there_are_enough_fixtures() {
        let placed = place(&names(&["a", "b", "c"]), &[], &names(&["n1", "n2", "n3"]));
        let mut used: Vec<&String> = placed.values().collect();
        used.sort();
        used.dedup();
        assert_eq!(used.len(), 3);
    }
}
