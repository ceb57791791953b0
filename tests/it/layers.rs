//! The pipeline's layers, which the compiler does not check: no module of
//! `src/` names one above its own (issue #17). A stage's own test module
//! (`#[cfg(test)] mod tests`, last in its file) is left out: tests may run
//! the stages that feed it.

use std::path::Path;

/// Bottom to top: a module may name those before it, never one after.
const LAYERS: &[&str] = &[
    "index",
    "model",
    "columns",
    "output",
    "progress",
    "normalize",
    "ingest",
    "thread",
    "dataset",
    "cache",
    "metrics",
    "report",
    "cli",
    "config",
    "pipeline",
];

#[test]
fn no_module_names_one_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut upward = Vec::new();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for path in files {
        let relative = path.strip_prefix(&src).unwrap();
        let module = relative
            .iter()
            .next()
            .unwrap()
            .to_str()
            .unwrap()
            .trim_end_matches(".rs");
        if module == "lib" || module == "main" {
            continue; // the crate root and the binary sit above every layer
        }
        let rank = |name: &str| LAYERS.iter().position(|l| *l == name);
        let own = rank(module).unwrap_or_else(|| panic!("{module}: not in LAYERS"));
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        for named in named_modules(code) {
            if rank(&named).is_some_and(|r| r > own) {
                upward.push(format!("{} names crate::{named}", relative.display()));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports from a higher layer:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_check_sees_braced_and_nested_imports() {
    let code = "use crate::{cache, report::{self, Outputs}};\nlet x = crate::metrics::compute();";
    assert_eq!(named_modules(code), ["cache", "report", "metrics"]);
}

fn rust_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The top-level modules that `crate::` paths in `code` name, braced
/// groups (`crate::{a, b::{c, d}}`) included.
fn named_modules(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let mut depth = 0;
                let mut item = String::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => names.push(std::mem::take(&mut item)),
                        _ => item.push(c),
                    }
                }
                names.push(item);
            }
            None => names.push(rest.to_string()),
        }
    }
    names
        .iter()
        .filter_map(|n| {
            let n = n.trim_start();
            let end = n
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(n.len());
            (end > 0).then(|| n[..end].to_string())
        })
        .collect()
}
