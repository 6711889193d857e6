//! The layers of DESIGN §2, checked on the source: every path a module names (`use`
//! items and inline `crate::…`, `super::…`, `sqlx::…` paths) is resolved to the top-level
//! module or crate it reaches, and compared with what that layer may depend on.
//!
//! - `domain`, `calendar`, `allocator`, `draw` are pure: no I/O crate, no module above them.
//! - `http`, `web` and `notify` reach the database only through the use cases (`booking`).
//! - `limits` depends on nothing above it.
//! - Inside `domain`, `calendar`, `allocator`, `booking` and `store`, no two modules name
//!   each other, even through others (no cycles).
//! - `sqlx` is named in `store/` only: the use cases reach the database through the
//!   store's traits.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const IO_CRATES: &[&str] = &[
    "sqlx",
    "tokio",
    "axum",
    "axum_extra",
    "tower",
    "tower_http",
    "hyper",
    "redis",
    "lettre",
];

/// What each layer may not name: crates and top-level modules of this crate.
fn forbidden(layer: &str) -> Vec<&'static str> {
    let above_pure = ["store", "http", "web", "booking", "limits", "app", "ical"];
    match layer {
        "domain" | "calendar" | "allocator" | "draw" => {
            let mut names = IO_CRATES.to_vec();
            names.extend(above_pure);
            if layer != "draw" {
                names.push("draw");
            }
            names.extend(["std::fs", "std::net"]);
            names
        }
        "http" | "web" => vec!["store", "sqlx", "config"],
        // Delivery, like the HTTP layer: messages come from the use cases.
        "notify" => vec!["store", "sqlx", "config"],
        "limits" => vec!["store", "http", "web", "booking", "app", "sqlx"],
        _ => vec![],
    }
}

/// Every `.rs` file under `src/`, as a path relative to it.
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = vec![];
    walk(&root, &root, &mut out);
    out.sort();
    out
}

/// The module a file is (`http/mod.rs` → `[http]`, `http/surge.rs` → `[http, surge]`).
fn module_of(file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The code of `text` without comments and string literals (so a doc comment naming
/// `sqlx` is not a dependency).
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// The names a file reaches: crates (`sqlx`, `std::fs`) and this crate's top-level
/// modules, resolving `crate::`, `super::` chains and `use` groups' first segment.
fn reached(file: &Path, text: &str) -> BTreeSet<String> {
    let module = module_of(file);
    let mut names = BTreeSet::new();
    for path in paths(text) {
        resolve(&module, &path, &mut names);
    }
    names
}

/// Every path the code of `text` names, as segments; a `use` group (`a::{b, c::d}`) gives
/// one path per item (`a::b`, `a::c`).
fn paths(text: &str) -> Vec<Vec<String>> {
    let code = code_only(text);
    let mut found = vec![];
    let bytes: Vec<char> = code.chars().collect();
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut i = 0;
    while i < bytes.len() {
        // Start of a path: an identifier not preceded by `::` or an identifier char.
        let after_ident = i > 0 && is_ident(bytes[i - 1]);
        let after_colons = i >= 2 && bytes[i - 1] == ':' && bytes[i - 2] == ':';
        let starts = is_ident(bytes[i]) && !after_ident && !after_colons;
        if !starts {
            i += 1;
            continue;
        }
        let mut segments = vec![];
        let mut j = i;
        loop {
            let from = j;
            while j < bytes.len() && is_ident(bytes[j]) {
                j += 1;
            }
            segments.push(bytes[from..j].iter().collect::<String>());
            if j + 2 < bytes.len()
                && bytes[j] == ':'
                && bytes[j + 1] == ':'
                && is_ident(bytes[j + 2])
            {
                j += 2;
            } else {
                break;
            }
        }
        i = j.max(i + 1);
        // `crate::{a, b::c}` or `super::{x, y}`: each item continues the path.
        if j + 2 < bytes.len() && bytes[j] == ':' && bytes[j + 1] == ':' && bytes[j + 2] == '{' {
            let mut depth = 0;
            let mut item = String::new();
            let mut items = vec![];
            for &c in &bytes[j + 2..] {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => items.push(std::mem::take(&mut item)),
                    c if depth == 1 => item.push(c),
                    _ => {}
                }
            }
            items.push(item);
            for item in items {
                let head: String = item.trim().chars().take_while(|c| is_ident(*c)).collect();
                if !head.is_empty() && head != "self" {
                    let mut path = segments.clone();
                    path.push(head);
                    found.push(path);
                }
            }
            continue;
        }
        found.push(segments);
    }
    found
}

/// Adds the top-level module or crate `segments` (a path named in `module`) reaches.
fn resolve(module: &[String], segments: &[String], names: &mut BTreeSet<String>) {
    {
        if segments.len() < 2 {
            return;
        }
        let first = segments[0].as_str();
        if first == "crate" {
            names.insert(segments[1].clone());
        } else if first == "super" {
            let ups = segments.iter().take_while(|s| *s == "super").count();
            let mut base = module.to_vec();
            for _ in 0..ups {
                base.pop();
            }
            match base.first() {
                Some(top) => names.insert(top.clone()),
                None => segments.get(ups).map(|s| names.insert(s.clone())).is_some(),
            };
        } else if first == "std" {
            names.insert(format!("std::{}", segments[1]));
        } else if !OWN_MODULES.contains(&first) {
            // A bare path names a crate, or a module declared or imported in this file —
            // never one of this crate's top-level modules, which need `crate::`.
            names.insert(first.to_owned());
        }
    }
}

/// This crate's top-level modules: a bare path with one of these names is a local one.
const OWN_MODULES: &[&str] = &[
    "allocator",
    "app",
    "booking",
    "calendar",
    "clock",
    "config",
    "domain",
    "http",
    "ical",
    "limits",
    "store",
    "web",
];

#[test]
fn every_layer_names_only_what_it_may() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = vec![];
    for file in sources() {
        let text = fs::read_to_string(root.join(&file)).unwrap_or_default();
        let names = reached(&file, &text);
        let module = module_of(&file);
        let layer = module.first().map_or("", String::as_str);
        let shown = file.to_string_lossy().replace('\\', "/");
        for name in forbidden(layer) {
            if names.contains(name) && !(layer == "limits" && shown.ends_with("tests.rs")) {
                broken.push(format!("{shown} names {name}"));
            }
        }
        if names.contains("sqlx") && layer != "store" {
            broken.push(format!("{shown} names sqlx outside store/"));
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

/// Within a layer, which sibling module each file names (`super::x`).
fn sibling_edges(layer: &str) -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<PathBuf> = sources()
        .into_iter()
        .filter(|f| module_of(f).len() == 2 && module_of(f)[0] == layer)
        .collect();
    let siblings: BTreeSet<String> = files.iter().map(|f| module_of(f)[1].clone()).collect();
    let mut edges = BTreeMap::new();
    for file in &files {
        let text = fs::read_to_string(root.join(file)).unwrap_or_default();
        let to: BTreeSet<String> = paths(&text)
            .into_iter()
            .filter(|p| p.len() >= 2 && p[0] == "super" && siblings.contains(&p[1]))
            .map(|p| p[1].clone())
            .collect();
        edges.insert(module_of(file)[1].clone(), to);
    }
    edges
}

/// A cycle in `edges`, if any, as the modules along it.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut vec![], &mut done))
}

#[test]
fn no_layer_has_cycles_between_its_modules() {
    for layer in ["domain", "calendar", "allocator", "booking", "store"] {
        let edges = sibling_edges(layer);
        assert!(
            edges.len() > 1 || layer != "allocator",
            "{layer}: {edges:?}"
        );
        if let Some(found) = cycle(&edges) {
            panic!("{layer} has a cycle: {}", found.join(" -> "));
        }
    }
    let looped: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]
    .into();
    assert_eq!(cycle(&looped).map(|c| c.len()), Some(3));
}

#[test]
fn the_checker_sees_what_it_must() {
    let file = Path::new("http/surge.rs");
    let text = "use crate::store;\nuse super::super::config::X;\n// sqlx::query in a comment\n\
                let s = \"tokio::spawn\";\nfn f() { sqlx::query(\"\"); std::fs::read(p); }\n\
                use super::auth::Y;\nuse super::super::{booking::Z, self};\nconfig::show();";
    let names = reached(file, text);
    for expected in ["store", "config", "sqlx", "std::fs", "http", "booking"] {
        assert!(names.contains(expected), "{expected} in {names:?}");
    }
    assert!(!names.contains("tokio"), "{names:?}");
    // A bare `config::show` is a sibling module (`mod config;`), not the crate's `config`.
    let names = reached(file, "mod config;\nfn f() { config::show(); }");
    assert!(names.is_empty(), "{names:?}");
    assert_eq!(module_of(Path::new("http/mod.rs")), vec!["http"]);
}
