//! The reader API: what a parsed expression reads from its caller, found on the
//! processed syntax tree rather than in the text, so that string literals,
//! comments, regex literals and backtick names never count, and a variable a
//! lambda parameter or an earlier `:=` shadows is not a read of the caller's.
//!
//! In: an [`Expression`]. Out: its [`VarRead`]s, and a copy with some of them
//! renamed (a textual splice at the reads' token positions, parsed again, so the
//! copy is exactly the expression its text says). This module only looks at the
//! tree; it may not change how anything evaluates.

use std::collections::HashSet;
use std::ops::Range;

use crate::Expression;
use crate::ast::{Kind, Node, Stage};
use crate::error::Result;

/// A read of a variable the caller may bind (in an [`Env`](crate::Env)), with
/// the plain field names that directly follow it: `$states.input.order[0]`
/// reads `states` with fields `input`, `order`.
///
/// A function call `$sum(x)` reads the variable `sum`: JSONata functions are
/// values, and a binding of that name shadows the built-in
/// (see [`BUILTIN_FUNCTIONS`](crate::BUILTIN_FUNCTIONS) to tell them apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarRead<'e> {
    name: &'e str,
    fields: Vec<&'e str>,
    definite: bool,
    /// Byte offsets in the source: the start of `$name`, and the end of `$name`
    /// then of each field's token.
    start: usize,
    ends: Vec<usize>,
}

impl<'e> VarRead<'e> {
    /// The variable's name, without `$`.
    pub fn name(&self) -> &'e str {
        self.name
    }

    /// The field names that follow, up to the first step that is not a plain
    /// field name. A field with a predicate (`input[0]`) ends the list; one
    /// with a binding, a grouping, `[]` or a parent (`%`) reference is not
    /// part of it.
    pub fn fields(&self) -> &[&'e str] {
        &self.fields
    }

    /// Whether this read certainly reaches the caller's binding. It does not
    /// when the expression binds the same name somewhere (`:=`, `@$v`, `#$i`)
    /// where the binding may or may not be in force by then; such reads are
    /// still reported, and never renamed.
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// Byte range in [`Expression::source`] of `$name` and its first `fields`
    /// fields (whitespace and comments between them included).
    pub fn span(&self, fields: usize) -> Range<usize> {
        self.start..self.ends[fields.min(self.fields.len())]
    }
}

impl Expression {
    /// Every read of a caller-bound variable, in source order. `$` (the
    /// context) and `$$` (the root input, see [`Expression::reads_root`]) are
    /// not variables the caller binds and are left out.
    pub fn var_reads(&self) -> Vec<VarRead<'_>> {
        let mut bound_anywhere = HashSet::new();
        collect_bindings(&self.root, &mut bound_anywhere);
        let mut w = Walker {
            src: &self.source,
            chars: char_offsets(&self.source),
            bound_anywhere,
            scopes: Vec::new(),
            reads: Vec::new(),
            root: false,
        };
        w.walk(&self.root);
        let mut reads = w.reads;
        reads.sort_by_key(|r| r.start);
        reads
    }

    /// The distinct names of the variables the expression reads from its
    /// caller, in order of first appearance: what an [`Env`](crate::Env) has
    /// to bind for it. Lambda parameters and names bound by `:=` before use
    /// are not reads; built-in function names called as `$name(..)` are.
    ///
    /// ```
    /// let e = stepcraft_jsonata::Expression::parse(
    ///     "$map($items, function($x) { $x * $k }) /* $c */ & '$s'",
    /// )
    /// .unwrap();
    /// assert_eq!(e.variables_read(), ["map", "items", "k"]);
    /// ```
    pub fn variables_read(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for r in self.var_reads() {
            if !names.contains(&r.name) {
                names.push(r.name);
            }
        }
        names
    }

    /// Whether the expression refers to `$$`, the root of the input.
    pub fn reads_root(&self) -> bool {
        let mut w = Walker {
            src: &self.source,
            chars: Vec::new(),
            bound_anywhere: HashSet::new(),
            scopes: Vec::new(),
            reads: Vec::new(),
            root: false,
        };
        w.walk(&self.root);
        w.root
    }

    /// A copy in which some definite reads are renamed: for each definite
    /// [`VarRead`], `rename` may answer `(n, new_name)` to replace `$name` and
    /// its first `n` fields with `$new_name` (`$states.input.a` with
    /// `(1, "in")` becomes `$in.a`). The copy is parsed from the spliced text.
    ///
    /// # Panics
    ///
    /// If a new name is empty or holds a character that ends a JSONata name
    /// (whitespace, an operator character).
    pub fn with_reads_renamed<F>(&self, mut rename: F) -> Result<Expression>
    where
        F: FnMut(&VarRead<'_>) -> Option<(usize, String)>,
    {
        let mut out = String::with_capacity(self.source.len() + 16);
        let mut copied = 0;
        for r in self.var_reads() {
            if !r.definite {
                continue;
            }
            let Some((fields, name)) = rename(&r) else { continue };
            assert!(
                !name.is_empty() && !name.chars().any(crate::parser::ends_name),
                "`{name}` is not a JSONata variable name"
            );
            let span = r.span(fields);
            out.push_str(&self.source[copied..span.start]);
            out.push('$');
            out.push_str(&name);
            copied = span.end;
        }
        out.push_str(&self.source[copied..]);
        Expression::parse(&out)
    }
}

/// Byte offset of each character offset (and of the end).
fn char_offsets(src: &str) -> Vec<usize> {
    src.char_indices().map(|(i, _)| i).chain(std::iter::once(src.len())).collect()
}

/// A step that carries nothing but its name or variable.
fn is_plain(n: &Node) -> bool {
    n.predicate.is_none()
        && n.stages.is_none()
        && n.group.is_none()
        && n.focus.is_none()
        && n.index.is_none()
        && !n.tuple
        && n.ancestor.is_none()
        && !n.keep_array
}

/// Names the expression binds at run time in a frame a read may see: `:=`,
/// `@$v`, `#$i`. Lambda parameters are lexical and handled by the walker.
fn collect_bindings<'e>(n: &'e Node, out: &mut HashSet<&'e str>) {
    if let Kind::Bind { name, .. } = &n.kind {
        out.insert(name);
    }
    out.extend(n.focus.as_deref());
    out.extend(n.index.as_deref());
    for stage in n.stages.iter().flatten() {
        if let Stage::Index { var } = stage {
            out.insert(var);
        }
    }
    children(n, &mut |c| collect_bindings(c, out));
}

/// Calls `f` on every direct child of `n`, its annotations included.
fn children<'e>(n: &'e Node, f: &mut dyn FnMut(&'e Node)) {
    match &n.kind {
        Kind::Path { steps, .. } => steps.iter().for_each(&mut *f),
        Kind::Binary { lhs, rhs, .. } | Kind::Apply { lhs, rhs } => {
            f(lhs);
            f(rhs);
        }
        Kind::Neg(e) => f(e),
        Kind::Array(items) | Kind::Block(items) => items.iter().for_each(&mut *f),
        Kind::Object(pairs) => pairs.iter().for_each(|(k, v)| {
            f(k);
            f(v);
        }),
        Kind::Cond { cond, then, els } => {
            f(cond);
            f(then);
            if let Some(e) = els {
                f(e);
            }
        }
        Kind::Bind { rhs, .. } => f(rhs),
        Kind::Function { procedure, args } | Kind::Partial { procedure, args } => {
            f(procedure);
            args.iter().for_each(&mut *f);
        }
        Kind::Lambda(l) => f(&l.body),
        Kind::Transform { pattern, update, delete } => {
            f(pattern);
            f(update);
            if let Some(d) = delete {
                f(d);
            }
        }
        Kind::Sort { terms } => terms.iter().for_each(|(_, t)| f(t)),
        Kind::Name(_)
        | Kind::Str(_)
        | Kind::Num(_)
        | Kind::Bool(_)
        | Kind::Null
        | Kind::Wildcard
        | Kind::Descendant
        | Kind::Parent { .. }
        | Kind::Regex(_)
        | Kind::Placeholder
        | Kind::Var(_) => {}
    }
    annotations(n, f);
}

fn annotations<'e>(n: &'e Node, f: &mut dyn FnMut(&'e Node)) {
    for stage in n.predicate.iter().chain(n.stages.iter()).flatten() {
        if let Stage::Filter { expr } = stage {
            f(expr);
        }
    }
    if let Some(g) = &n.group {
        g.pairs.iter().for_each(|(k, v)| {
            f(k);
            f(v);
        });
    }
}

struct Walker<'e> {
    src: &'e str,
    chars: Vec<usize>,
    bound_anywhere: HashSet<&'e str>,
    /// Names certainly bound in the enclosing lambdas and blocks.
    scopes: Vec<Vec<&'e str>>,
    reads: Vec<VarRead<'e>>,
    root: bool,
}

impl<'e> Walker<'e> {
    fn is_local(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.contains(&name))
    }

    fn walk(&mut self, n: &'e Node) {
        match &n.kind {
            Kind::Path { steps, .. } => {
                for (i, step) in steps.iter().enumerate() {
                    if let Kind::Var(name) = &step.kind {
                        let fields = if is_plain(step) { &steps[i + 1..] } else { &[][..] };
                        self.read(name, step, fields);
                        annotations(step, &mut |c| self.walk(c));
                    } else {
                        self.walk(step);
                    }
                }
                annotations(n, &mut |c| self.walk(c));
            }
            Kind::Var(name) => {
                self.read(name, n, &[]);
                annotations(n, &mut |c| self.walk(c));
            }
            Kind::Lambda(l) => {
                self.scopes.push(l.params.iter().map(String::as_str).collect());
                self.walk(&l.body);
                self.scopes.pop();
                annotations(n, &mut |c| self.walk(c));
            }
            Kind::Block(items) => {
                // A `:=` that is a statement of the block runs before the
                // statements after it, in the block's own frame: from there on
                // the name is the block's. A `:=` nested deeper (in a
                // condition, an argument) may or may not run.
                self.scopes.push(Vec::new());
                for item in items {
                    self.walk(item);
                    let mut stmt = item;
                    while let Kind::Bind { name, rhs } = &stmt.kind {
                        self.scopes.last_mut().expect("pushed above").push(name);
                        stmt = rhs;
                    }
                }
                self.scopes.pop();
                annotations(n, &mut |c| self.walk(c));
            }
            _ => children(n, &mut |c| self.walk(c)),
        }
    }

    /// Records a read of `$name` at `var`, followed by the path steps `after`.
    fn read(&mut self, name: &'e str, var: &Node, after: &'e [Node]) {
        match name {
            "" => return,
            "$" => {
                self.root = true;
                return;
            }
            _ if self.is_local(name) => return,
            _ => {}
        }
        if self.chars.is_empty() {
            return;
        }
        // Token positions are character offsets just past the token; a
        // variable token is `$` and its name, nothing between.
        let end = var.pos;
        let start = end - 1 - name.chars().count();
        let mut fields = Vec::new();
        let mut ends = vec![self.chars[end]];
        for step in after {
            let Kind::Name(field) = &step.kind else { break };
            let only_filters = step.predicate.is_none()
                && step.group.is_none()
                && step.focus.is_none()
                && step.index.is_none()
                && !step.tuple
                && step.ancestor.is_none()
                && !step.keep_array;
            if !only_filters {
                break;
            }
            fields.push(field.as_str());
            ends.push(self.chars[step.pos]);
            if step.stages.is_some() {
                break;
            }
        }
        debug_assert!(self.src[self.chars[start]..].starts_with('$'));
        self.reads.push(VarRead {
            name,
            fields,
            definite: !self.bound_anywhere.contains(name),
            start: self.chars[start],
            ends,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(src: &str) -> Vec<(String, Vec<String>, bool)> {
        Expression::parse(src)
            .unwrap()
            .var_reads()
            .into_iter()
            .map(|r| (r.name.to_string(), r.fields.iter().map(|f| f.to_string()).collect(), r.definite))
            .collect()
    }

    fn names(src: &str) -> Vec<String> {
        Expression::parse(src).unwrap().variables_read().into_iter().map(String::from).collect()
    }

    #[test]
    fn literals_comments_and_regexes_are_not_reads() {
        assert_eq!(names(r#"$a & "$b \" $c" & '$d' & `$e` & /* $f */ $g"#), ["a", "g"]);
        assert_eq!(names("$match($s, /$states.input/)"), ["match", "s"]);
        assert!(names("$ & $$.x & 1").is_empty());
    }

    #[test]
    fn function_names_are_reads() {
        assert_eq!(names("$sum([1]) + $f(2) ~> $g"), ["sum", "f", "g"]);
    }

    #[test]
    fn lambda_parameters_shadow() {
        assert_eq!(names("function($x, $y) { $x + $y + $z }"), ["z"]);
        assert_eq!(names("$x + (function($x) { $x })(1)"), ["x"]);
        assert_eq!(names("$map($a, function($v) { $v.($states.input) })"), ["map", "a", "states"]);
    }

    #[test]
    fn block_bindings_shadow_what_follows_them() {
        assert_eq!(names("($x := 1; $x)"), Vec::<String>::new());
        assert_eq!(names("($x := $x + 1; $x)"), ["x"]);
        assert_eq!(names("($a := $b := 1; $a + $b)"), Vec::<String>::new());
        // the name stays bound inside later lambdas
        assert_eq!(names("($k := 2; function($v) { $v * $k })"), Vec::<String>::new());
        // read before the binding, or the binding is conditional: maybe the caller's
        assert_eq!(reads("($y; $y := 1)"), [("y".into(), vec![], false)]);
        assert_eq!(reads("(true ? $y := 1; $y)"), [("y".into(), vec![], false)]);
        assert_eq!(reads("a@$v.$v"), [("v".into(), vec![], false)]);
        // a block's bindings end with it
        assert_eq!(reads("[($x := 1), $x]"), [("x".into(), vec![], false)]);
    }

    #[test]
    fn fields_stop_at_annotated_steps() {
        let s = |f: &[&str]| f.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(reads("$states.input.a.b"), [("states".into(), s(&["input", "a", "b"]), true)]);
        assert_eq!(reads("$states.input[0].a"), [("states".into(), s(&["input"]), true)]);
        assert_eq!(reads("$states.`input`.\"a\""), [("states".into(), s(&["input", "a"]), true)]);
        assert_eq!(reads("$states[0].input"), [("states".into(), s(&[]), true)]);
        assert_eq!(reads("$states.input[]"), [("states".into(), s(&[]), true)]);
        // a grouping applies to the whole path, not to the step
        assert_eq!(reads("$states.input{'k': 1}"), [("states".into(), s(&["input"]), true)]);
        assert_eq!(reads("$states.input.%"), [("states".into(), s(&[]), true)]);
        assert_eq!(reads("$states.input.a.%"), [("states".into(), s(&["input"]), true)]);
        assert_eq!(reads("$keys($states)")[1], ("states".into(), s(&[]), true));
        assert_eq!(reads("$states.*"), [("states".into(), s(&[]), true)]);
    }

    #[test]
    fn root_is_reported_apart() {
        let e = Expression::parse("$$.a & '$$'").unwrap();
        assert!(e.reads_root() && e.variables_read().is_empty());
        assert!(!Expression::parse("'$$' & $").unwrap().reads_root());
    }

    #[test]
    fn rename_splices_definite_reads() {
        let e = Expression::parse(
            "$states.input.a & '$states.input' & function($states){$states.input} & /* é */ $states .input",
        )
        .unwrap();
        let r = e
            .with_reads_renamed(|r| {
                (r.name() == "states" && r.fields().first() == Some(&"input")).then(|| (1, "in¦put".into()))
            })
            .unwrap();
        assert_eq!(r.source(), "$in¦put.a & '$states.input' & function($states){$states.input} & /* é */ $in¦put");
        let e = Expression::parse("(true ? $states := {}; $states.input)").unwrap();
        let r = e.with_reads_renamed(|_| Some((1, "x".into()))).unwrap();
        assert_eq!(r.source(), e.source());
        assert_eq!(e.var_reads()[0].span(5), 23..36);
    }
}
