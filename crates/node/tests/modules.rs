//! The node's source files import each other without a cycle, and the Stylus VM crate
//! imports no EVM (issue 15: the seven files activation, arbwasm, arbwasmcache, evm, host,
//! program and stylus used to import each other in a cycle).
//!
//! Every `use` path and inline `crate::`/`super::`/`self::` path of a source file is
//! resolved to the file of the module it names; a file's own `#[cfg(test)] mod tests` is
//! left out (its `super::*` is the file itself). `mod` declarations are not dependencies.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// Module path (`["evm", "host"]`) of every `.rs` file under `src`, `lib.rs` being `[]`.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut out = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).expect("under src");
        // Binaries are crates of their own.
        if rel.starts_with("bin") || rel == Path::new("main.rs") {
            continue;
        }
        let mut parts: Vec<String> =
            rel.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
        if matches!(parts.last().map(String::as_str), Some("lib" | "mod")) {
            parts.pop();
        }
        out.insert(parts, file);
    }
    out
}

/// The source without comments and without a trailing `#[cfg(test)] mod tests`.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`, whitespace removed) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else {
        return vec![tree.to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len() - 1];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |e| format!("{prefix}{e}")))
        .collect()
}

/// Every path the code names: expanded `use` trees and inline `crate::`/`super::` paths.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        let after = &rest[i + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            rest = after;
            continue;
        }
        let Some(end) = after.find(';') else { break };
        // Whitespace goes, except that `x as y` (which names x) is marked by '@'.
        let tree: String = after[..end]
            .split_whitespace()
            .map(|token| if token == "as" { "@" } else { token })
            .collect();
        out.extend(
            expand(&tree).into_iter().map(|p| p.split('@').next().unwrap_or_default().to_string()),
        );
        rest = &after[end..];
    }
    for anchor in ["crate::", "super::", "self::"] {
        let mut rest = code;
        while let Some(i) = rest.find(anchor) {
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            // `crate::{…}` opens a use tree, read above.
            if end > anchor.len() {
                out.push(tail[..end].trim_end_matches(':').to_string());
            }
            rest = &rest[i + anchor.len()..];
        }
    }
    out
}

/// The module file a path from module `from` lands in, if it is one of ours.
fn resolve(
    from: &[String],
    path: &str,
    modules: &BTreeMap<Vec<String>, PathBuf>,
) -> Option<Vec<String>> {
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut at: Vec<String> = match segments.first().copied()? {
        "crate" => {
            segments.remove(0);
            Vec::new()
        }
        "self" => {
            segments.remove(0);
            from.to_vec()
        }
        "super" => {
            let mut at = from.to_vec();
            while segments.first() == Some(&"super") {
                segments.remove(0);
                at.pop()?;
            }
            at
        }
        // A child module named without `self::` (2018 paths), else another crate.
        first => {
            let mut child = from.to_vec();
            child.push(first.to_string());
            if !modules.contains_key(&child) {
                return None;
            }
            from.to_vec()
        }
    };
    for segment in segments {
        let mut next = at.clone();
        next.push(segment.to_string());
        if !modules.contains_key(&next) {
            break;
        }
        at = next;
    }
    Some(at)
}

/// The first import cycle among the files under `src`, as a list of module paths.
fn cycle(src: &Path) -> Option<Vec<String>> {
    let modules = modules(src);
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, file) in &modules {
        let text = std::fs::read_to_string(file).expect("read source");
        let deps = edges.entry(module.clone()).or_default();
        for path in paths(&code(&text)) {
            if let Some(target) = resolve(module, &path, &modules) {
                if &target != module {
                    deps.insert(target);
                }
            }
        }
    }
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut found: Vec<String> = stack[i..].iter().map(|m| m.join("::")).collect();
            found.push(node.join("::"));
            return Some(found);
        }
        if !done.insert(node.clone()) {
            return None;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, stack, done) {
                return Some(found);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(found) = visit(node, &edges, &mut Vec::new(), &mut done) {
            return Some(found);
        }
    }
    None
}

fn crate_src(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(name).join("src")
}

#[test]
fn the_node_has_no_import_cycle() {
    assert_eq!(cycle(&crate_src("node")), None);
}

#[test]
fn the_stylus_vm_has_no_import_cycle_and_no_evm() {
    assert_eq!(cycle(&crate_src("stylus-vm")), None);
    let manifest =
        std::fs::read_to_string(crate_src("stylus-vm").join("../Cargo.toml")).expect("manifest");
    assert!(!manifest.contains("revm"), "the VM reaches the EVM only through its Host trait");
}

#[test]
fn the_checker_sees_a_cycle() {
    let dir = std::env::temp_dir().join(format!("tidepool-modules-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("a")).expect("dir");
    std::fs::write(dir.join("lib.rs"), "mod a;\nmod b;\n").expect("lib");
    std::fs::write(dir.join("a/mod.rs"), "mod c;\npub use self::c::C;\n").expect("a");
    std::fs::write(dir.join("a/c.rs"), "use crate::b::{B, other};\npub struct C;\n").expect("c");
    std::fs::write(dir.join("b.rs"), "pub struct B;\nfn f() { let _ = super::a::C; }\n")
        .expect("b");
    let found = cycle(&dir);
    std::fs::remove_dir_all(&dir).expect("clean");
    assert_eq!(found, Some(vec!["a".into(), "a::c".into(), "b".into(), "a".into()]));
}
