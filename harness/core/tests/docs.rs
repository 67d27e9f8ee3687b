//! The documentation's claims that can be checked without a cluster: the suite example of docs/suite-format.md
//! loads as written, and every document the README links to exists.

mod suite_support;

use std::path::PathBuf;

use netreach_core::suite::load_suite_with_env;
use suite_support::*;

fn read(path: &str) -> String {
    std::fs::read_to_string(repo_root().join(path)).unwrap()
}

/// The first fenced block of `language` in `text`.
fn first_block<'a>(text: &'a str, language: &str) -> &'a str {
    let start = text.find(&format!("```{language}\n")).unwrap() + language.len() + 4;
    let end = start + text[start..].find("```").unwrap();
    &text[start..end]
}

#[test]
fn the_suite_format_example_loads() {
    let doc = read("docs/suite-format.md");
    let example = first_block(&doc, "yaml");
    // Laid out as in the repository: the suite in suites/, its manifest path relative to it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("suites")).unwrap();
    std::fs::create_dir_all(dir.path().join("manifests/metadata-access")).unwrap();
    std::fs::copy(
        repo_root().join("manifests/metadata-access/13_metadata-deny.yaml"),
        dir.path()
            .join("manifests/metadata-access/13_metadata-deny.yaml"),
    )
    .unwrap();
    let suite = dir.path().join("suites/example.yaml");
    std::fs::write(&suite, example).unwrap();
    let loaded = load_suite_with_env(&suite, &|_| None).unwrap();
    assert_eq!(loaded.name, "metadata-access");
    assert_eq!(loaded.phases.len(), 1);
}

/// The local links of a Markdown file (to files, not anchors or the web), resolved from its folder.
fn local_links(file: &str) -> Vec<PathBuf> {
    let text = read(file);
    let folder = repo_root().join(file).parent().unwrap().to_path_buf();
    text.match_indices("](")
        .map(|(i, _)| &text[i + 2..])
        .map(|rest| &rest[..rest.find(')').unwrap()])
        .filter(|target| !target.starts_with("http") && !target.starts_with('#'))
        .map(|target| folder.join(target.split('#').next().unwrap()))
        .collect()
}

#[test]
fn every_local_link_of_the_readme_and_docs_exists_and_the_readme_stays_short() {
    let mut files = vec!["README.md".to_owned()];
    for entry in std::fs::read_dir(repo_root().join("docs")).unwrap() {
        files.push(format!(
            "docs/{}",
            entry.unwrap().file_name().to_string_lossy()
        ));
    }
    for file in &files {
        for link in local_links(file) {
            assert!(
                link.exists(),
                "{file} links to {}, which does not exist",
                link.display()
            );
        }
    }
    assert!(local_links("README.md").len() >= 6);
    let lines = read("README.md").lines().count();
    assert!(
        lines <= 210,
        "the README has {lines} lines; it should stay near 200"
    );
}

/// Every suite of the battery has its row in docs/conformance.md's table (named by its file, in backquotes).
#[test]
fn every_battery_suite_has_a_row_in_the_conformance_doc() {
    let doc = read("docs/conformance.md");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(repo_root().join("suites/conformance")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if !doc.contains(&format!("| `{name}` |")) {
                missing.push(name);
            }
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "no row in docs/conformance.md for {missing:?}"
    );
}
