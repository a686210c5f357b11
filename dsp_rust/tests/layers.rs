//! The crate's modules form layers, and references point down them.
//!
//! Every file under `src/` belongs to a top-level module, and every
//! top-level module is a layer in [`LAYERS`], lowest first. A file may refer
//! (`crate::…` in `use` lines, paths, doc links) to modules of lower layers,
//! to itself and its own child modules, and to its folder module and the
//! other modules of that folder. Test-only code (`#[cfg(test)]` items) is
//! exempt: a test may use anything.

use std::fs;
use std::path::{Path, PathBuf};

/// Top-level modules, lowest layer first; `lib` is the crate root.
const LAYERS: &[&str] = &[
    "config", "math", "smooth", "simd", "spec", "events", "dsp", "units", "sources", "strip",
    "params", "engine", "abi", "lib",
];

/// A source file: its path (relative to the crate) and its module path
/// (`[]` for the crate root, `["engine", "render"]` for `src/engine/render.rs`).
struct SourceFile {
    path: String,
    module: Vec<String>,
    text: String,
}

fn source_files() -> Vec<SourceFile> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = crate_dir.join("src");
    let mut paths = Vec::new();
    collect_rs(&src, &mut paths);
    paths.sort();
    assert!(!paths.is_empty(), "no .rs file under {}", src.display());
    paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap();
            let mut module: Vec<String> = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module.last().map(String::as_str) == Some("mod") || module == ["lib"] {
                module.pop();
            }
            let text = fs::read_to_string(&p).unwrap();
            let path = p.strip_prefix(crate_dir).unwrap().display().to_string();
            SourceFile { path, module, text }
        })
        .collect()
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().map_or(false, |e| e == "rs") {
            out.push(path);
        }
    }
}

/// The layer of a module path (`None`: not declared).
fn layer(module: &[String]) -> Option<usize> {
    let top = module.first().map_or("lib", String::as_str);
    LAYERS.iter().position(|l| *l == top)
}

/// For each char of `text`: true if it is code, false inside a comment,
/// a string or a character literal.
fn code_mask(text: &[char]) -> Vec<bool> {
    let n = text.len();
    let mut mask = vec![true; n];
    let at = |i: usize| text.get(i).copied().unwrap_or('\0');
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < n {
        let start = i;
        let c = text[i];
        if c == '/' && at(i + 1) == '/' {
            while i < n && text[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < n {
                if text[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if text[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r'
            && (at(i + 1) == '"' || at(i + 1) == '#')
            && (!ident(at(i.wrapping_sub(1)))
                || (at(i.wrapping_sub(1)) == 'b' && !ident(at(i.wrapping_sub(2)))))
        {
            // A raw string: r"…", r#"…"# (or a raw byte string).
            let mut j = i + 1;
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) != '"' {
                i += 1;
                continue;
            }
            j += 1;
            'raw: while j < n {
                if text[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                    j += 1 + hashes;
                    break 'raw;
                }
                j += 1;
            }
            i = j;
        } else if c == '"' {
            i += 1;
            while i < n && text[i] != '"' {
                i += if text[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' && at(i + 1) == '\\' {
            // An escaped character: '\n', '\'', '\u{7f}'.
            i += 2;
            while i < n && text[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c == '\'' && at(i + 2) == '\'' {
            i += 3; // a character: '{'
        } else {
            i += 1; // code, or a lifetime's quote
            continue;
        }
        let end = i.min(n);
        mask[start..end].iter_mut().for_each(|m| *m = false);
        i = end;
    }
    mask
}

/// `text` with every `#[cfg(test)]` item blanked out (newlines kept, so
/// line numbers stay right): from the attribute to the `;` or the brace
/// matching the first `{` of the item, counting braces in code only.
fn without_test_items(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let mask = code_mask(&chars);
    let attr: Vec<char> = "#[cfg(test)]".chars().collect();
    let mut i = 0;
    while i + attr.len() <= chars.len() {
        if !(mask[i] && chars[i..i + attr.len()] == attr[..]) {
            i += 1;
            continue;
        }
        let mut j = i + attr.len();
        // Braces open the item's body; brackets and parentheses only hide
        // a `;` (as in `[u8; 2]`).
        let (mut braces, mut nested) = (0usize, 0usize);
        while j < chars.len() {
            if mask[j] {
                match chars[j] {
                    ';' if braces == 0 && nested == 0 => break,
                    '(' | '[' => nested += 1,
                    ')' | ']' => nested = nested.saturating_sub(1),
                    '{' => braces += 1,
                    '}' if braces <= 1 => break,
                    '}' => braces -= 1,
                    _ => {}
                }
            }
            j += 1;
        }
        let end = (j + 1).min(chars.len());
        for c in &mut chars[i..end] {
            if *c != '\n' {
                *c = ' ';
            }
        }
        i = end;
    }
    chars.into_iter().collect()
}

/// A `crate::` path found in a file: its 1-based line and its segments
/// (`crate::engine::{self, Config}` gives `engine` and `engine::Config`).
#[derive(Debug, PartialEq)]
struct Reference {
    line: usize,
    path: Vec<String>,
}

/// Every `crate::` path in `text`, in code, comments and doc links alike.
fn references(text: &str) -> Vec<Reference> {
    let chars: Vec<char> = text.chars().collect();
    let key: Vec<char> = "crate::".chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    for i in 0..chars.len() {
        if chars[i] == '\n' {
            line += 1;
        }
        let before = if i == 0 { ' ' } else { chars[i - 1] };
        if before.is_alphanumeric() || before == '_' || !chars[i..].starts_with(&key) {
            continue;
        }
        let mut pos = i + key.len();
        let mut paths = Vec::new();
        use_tree(&chars, &mut pos, Vec::new(), &mut paths);
        out.extend(paths.into_iter().map(|path| Reference { line, path }));
    }
    out
}

/// Parse the path (or `{…}` group of paths) at `pos`, after `prefix::`.
fn use_tree(s: &[char], pos: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let skip_space = |pos: &mut usize| {
        while *pos < s.len() && s[*pos].is_whitespace() {
            *pos += 1;
        }
    };
    let mut path = prefix;
    loop {
        skip_space(pos);
        if s.get(*pos) == Some(&'{') {
            *pos += 1;
            loop {
                skip_space(pos);
                match s.get(*pos) {
                    None => return,
                    Some('}') => {
                        *pos += 1;
                        return;
                    }
                    Some(',') => *pos += 1,
                    Some(_) => {
                        let before = *pos;
                        use_tree(s, pos, path.clone(), out);
                        // Skip what follows a path in a group (`as name`).
                        while *pos < s.len() && !matches!(s[*pos], ',' | '}') {
                            *pos += 1;
                        }
                        if *pos == before {
                            *pos += 1;
                        }
                    }
                }
            }
        }
        let start = *pos;
        while *pos < s.len() && (s[*pos].is_alphanumeric() || s[*pos] == '_') {
            *pos += 1;
        }
        let segment: String = s[start..*pos].iter().collect();
        let ended = segment.is_empty() || !s[*pos..].starts_with(&[':', ':']);
        if !segment.is_empty() && segment != "self" {
            path.push(segment);
        }
        if ended {
            if !path.is_empty() {
                out.push(path);
            }
            return;
        }
        *pos += 2;
    }
}

/// The module a path names: its longest prefix that is a module of the crate.
fn module_of(path: &[String], modules: &[Vec<String>]) -> Vec<String> {
    (1..=path.len())
        .rev()
        .map(|k| path[..k].to_vec())
        .find(|p| modules.contains(p))
        .unwrap_or_else(|| path[..1].to_vec())
}

/// Why file module `from` may not refer to module `to`, or `None` if it may.
fn violation(from: &[String], to: &[String]) -> Option<String> {
    let (from_layer, to_layer) = match (layer(from), layer(to)) {
        (Some(f), Some(t)) => (f, t),
        (Some(_), None) => {
            return Some(format!(
                "`{}` is no declared layer ({})",
                to[0],
                LAYERS.join(", ")
            ))
        }
        (None, _) => return None, // reported by every_source_file_belongs_to_a_declared_layer
    };
    let folder = &from[..from.len().saturating_sub(1)];
    if to_layer < from_layer || to.starts_with(from) || (from.len() >= 2 && to.starts_with(folder))
    {
        return None;
    }
    let name = LAYERS[from_layer];
    let below = &LAYERS[..from_layer];
    Some(format!(
        "layer `{}` may use only the layers below it ({}), its own child modules and its folder's modules; `{}` is layer {} of {}, not below",
        name,
        if below.is_empty() { "none".to_string() } else { below.join(", ") },
        to[0],
        to_layer + 1,
        LAYERS.len(),
    ))
}

/// Every upward reference in `files`, one message each.
fn upward_references(files: &[SourceFile]) -> Vec<String> {
    let modules: Vec<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut found = Vec::new();
    for f in files {
        for r in references(&without_test_items(&f.text)) {
            let to = module_of(&r.path, &modules);
            if let Some(rule) = violation(&f.module, &to) {
                found.push(format!(
                    "{}:{}: `crate::{}`: {}",
                    f.path,
                    r.line,
                    r.path.join("::"),
                    rule
                ));
            }
        }
    }
    found
}

#[test]
fn every_source_file_belongs_to_a_declared_layer() {
    let strays: Vec<String> = source_files()
        .into_iter()
        .filter(|f| layer(&f.module).is_none())
        .map(|f| {
            format!(
                "{}: module `{}` is in no layer; add it to LAYERS in tests/layers.rs, above every module it uses and below every module that uses it",
                f.path, f.module[0]
            )
        })
        .collect();
    assert!(strays.is_empty(), "\n{}\n", strays.join("\n"));
}

#[test]
fn no_module_imports_from_a_module_above_it() {
    let found = upward_references(&source_files());
    assert!(found.is_empty(), "\n{}\n", found.join("\n"));
}

// The checker itself: each promise above fails when it should.

fn file(path: &str, text: &str) -> SourceFile {
    let mut module: Vec<String> = path
        .trim_start_matches("src/")
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if module.last().map(String::as_str) == Some("mod") || module == ["lib"] {
        module.pop();
    }
    SourceFile {
        path: path.to_string(),
        module,
        text: text.to_string(),
    }
}

#[test]
fn an_upward_reference_is_named_with_its_file_line_and_rule() {
    let files = [
        file("src/spec.rs", "//! Rows.\n\nuse crate::engine::Engine;\n"),
        file("src/engine/mod.rs", ""),
    ];
    let found = upward_references(&files);
    assert_eq!(found.len(), 1, "{:?}", found);
    assert!(
        found[0].starts_with("src/spec.rs:3: `crate::engine::Engine`: layer `spec` may use only the layers below it (config, math, smooth, simd)"),
        "{}",
        found[0]
    );
}

#[test]
fn doc_links_grouped_imports_and_full_paths_are_references() {
    let text = "//! See [`crate::abi`].\nuse crate::{math::flush, spec::{self, ParamId as P}};\nfn f() { crate::units::unit_info(1); }\n";
    let paths: Vec<String> = references(text)
        .into_iter()
        .map(|r| format!("{}:{}", r.line, r.path.join("::")))
        .collect();
    assert_eq!(
        paths,
        [
            "1:abi",
            "2:math::flush",
            "2:spec",
            "2:spec::ParamId",
            "3:units::unit_info"
        ]
    );
}

#[test]
fn test_only_items_may_use_any_layer() {
    let text = "use crate::config::QUIET;\n#[cfg(test)]\nuse crate::abi;\n#[cfg(test)]\nconst N: [u8; 1] = [crate::abi::N];\n#[cfg(test)]\n#[allow(dead_code)]\nmod tests {\n    const C: char = '}';\n    // }\n    fn f() { let s = \"}\"; crate::engine::Engine::new; }\n}\nuse crate::math::flush;\n";
    let stripped = without_test_items(text);
    assert_eq!(stripped.lines().count(), text.lines().count());
    let paths: Vec<String> = references(&stripped)
        .into_iter()
        .map(|r| format!("{}:{}", r.line, r.path.join("::")))
        .collect();
    assert_eq!(paths, ["1:config::QUIET", "13:math::flush"]);
}

#[test]
fn a_module_may_use_its_children_and_its_folder_but_not_a_higher_folder() {
    let v = |from: &[&str], to: &[&str]| {
        let s = |p: &[&str]| p.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        violation(&s(from), &s(to)).is_none()
    };
    assert!(v(&["engine"], &["engine", "render"]));
    assert!(v(&["engine", "render"], &["engine"]));
    assert!(v(&["engine", "render"], &["engine", "channel"]));
    assert!(v(&["units", "peq"], &["dsp", "biquad"]));
    assert!(v(&[], &["abi"]));
    assert!(!v(&["units", "peq"], &["sources", "bank"]));
    assert!(!v(&["config"], &["math"]));
    assert!(!v(&["params"], &["params2"]));
}
