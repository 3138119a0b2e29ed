//! Parse stage, expressions: the pure expressions of a workflow body (literals, variables,
//! field access, constructors, operators, the few methods a state machine can compute) into
//! [`Expr`]s. No states and no control flow are decided here.

use super::rules::{
    F32_MESSAGE, Plain, is_number_type, nondeterminism_message, nondeterministic, plain_constructor, try_from_message,
};
use super::*;
use syn::spanned::Spanned;

impl Parser<'_> {
    pub(super) fn struct_fields(
        &mut self,
        fields: &syn::punctuated::Punctuated<syn::FieldValue, syn::Token![,]>,
    ) -> Vec<(Ident, Expr)> {
        let mut out = Vec::new();
        for field in fields {
            match &field.member {
                syn::Member::Named(name) => {
                    let value = self.expr(&field.expr);
                    out.push((name.clone(), value));
                }
                syn::Member::Unnamed(_) => {
                    self.error(field, "build tuple structs in an activity; workflows build structs with named fields")
                }
            }
        }
        out
    }

    /// A pure expression.
    pub(super) fn expr(&mut self, expr: &syn::Expr) -> Expr {
        let span = expr.span();
        match expr {
            syn::Expr::Paren(p) => self.expr(&p.expr),
            syn::Expr::Group(g) => self.expr(&g.expr),
            syn::Expr::Reference(r) => self.expr(&r.expr),
            syn::Expr::Lit(l) => match &l.lit {
                syn::Lit::Str(_) | syn::Lit::Int(_) | syn::Lit::Float(_) | syn::Lit::Bool(_) => {
                    Expr::Lit(l.lit.clone())
                }
                syn::Lit::Char(c) => Expr::Lit(syn::Lit::Str(syn::LitStr::new(&c.value().to_string(), c.span()))),
                other => {
                    self.error(other, "byte literals have no JSON form; use a string or a number");
                    Expr::Unit(span)
                }
            },
            syn::Expr::Path(p) => self.path_expr(p),
            syn::Expr::Field(f) => {
                let base = self.expr(&f.base);
                match &f.member {
                    syn::Member::Named(name) => Expr::Field(Box::new(base), name.clone()),
                    syn::Member::Unnamed(index) => Expr::TupleField(Box::new(base), index.clone()),
                }
            }
            syn::Expr::Index(i) => {
                if let syn::Expr::Range(r) = strip(&i.index) {
                    self.error(r, "slices cannot be expressed yet; pass the whole collection to an activity");
                    return Expr::Unit(span);
                }
                Expr::Index(Box::new(self.expr(&i.expr)), Box::new(self.expr(&i.index)))
            }
            syn::Expr::Struct(s) => {
                if s.qself.is_some() {
                    self.error(s, "name the struct by its path");
                    return Expr::Unit(span);
                }
                if let Some(rest) = &s.rest {
                    self.error(rest, "`..base` cannot be expressed in a state machine; write every field");
                }
                let fields = self.struct_fields(&s.fields);
                match split_variant(&s.path) {
                    // `Enum::Variant { .. }`: modules are lowercase, types and variants are not.
                    Some((ty, variant)) if ty.segments.last().is_some_and(|seg| starts_upper(&seg.ident)) => {
                        Expr::VariantStruct { ty, variant, fields }
                    }
                    _ => Expr::Struct { path: s.path.clone(), fields },
                }
            }
            syn::Expr::Array(a) => Expr::Array(a.elems.iter().map(|e| self.expr(e)).collect(), span),
            syn::Expr::Tuple(t) if t.elems.is_empty() => Expr::Unit(span),
            syn::Expr::Tuple(t) => Expr::Array(t.elems.iter().map(|e| self.expr(e)).collect(), span),
            syn::Expr::Binary(b) => {
                let op = match b.op {
                    syn::BinOp::Add(_) => BinOp::Add,
                    syn::BinOp::Sub(_) => BinOp::Sub,
                    syn::BinOp::Mul(_) => BinOp::Mul,
                    syn::BinOp::Div(_) => BinOp::Div,
                    syn::BinOp::Rem(_) => BinOp::Rem,
                    syn::BinOp::Eq(_) => BinOp::Eq,
                    syn::BinOp::Ne(_) => BinOp::Ne,
                    syn::BinOp::Lt(_) => BinOp::Lt,
                    syn::BinOp::Le(_) => BinOp::Le,
                    syn::BinOp::Gt(_) => BinOp::Gt,
                    syn::BinOp::Ge(_) => BinOp::Ge,
                    syn::BinOp::And(_) => BinOp::And,
                    syn::BinOp::Or(_) => BinOp::Or,
                    other => {
                        let assigns = matches!(
                            other,
                            syn::BinOp::AddAssign(_)
                                | syn::BinOp::SubAssign(_)
                                | syn::BinOp::MulAssign(_)
                                | syn::BinOp::DivAssign(_)
                                | syn::BinOp::RemAssign(_)
                                | syn::BinOp::BitAndAssign(_)
                                | syn::BinOp::BitOrAssign(_)
                                | syn::BinOp::BitXorAssign(_)
                                | syn::BinOp::ShlAssign(_)
                                | syn::BinOp::ShrAssign(_)
                        );
                        // A change of a `let mut` variable is the mistake reported at its `mut`.
                        if !(assigns && self.is_declared_mutable(&b.left)) {
                            let what = if assigns {
                                "workflow variables cannot change; bind a new name with `let`"
                            } else {
                                "bitwise operators have no JSONata form; compute this in an activity"
                            };
                            self.error(other, what);
                        }
                        return Expr::Unit(span);
                    }
                };
                Expr::Binary(op, Box::new(self.expr(&b.left)), Box::new(self.expr(&b.right)))
            }
            syn::Expr::Unary(u) => match u.op {
                syn::UnOp::Not(_) => Expr::Not(Box::new(self.expr(&u.expr))),
                syn::UnOp::Neg(_) => Expr::Neg(Box::new(self.expr(&u.expr))),
                _ => self.expr(&u.expr),
            },
            syn::Expr::MethodCall(m) => self.method(m),
            syn::Expr::Call(c) => self.call_expr(c),
            syn::Expr::Macro(m) => self.macro_expr(&m.mac, span),
            syn::Expr::Closure(c) => {
                self.error(
                    c.or1_token,
                    "closures cannot become states: a state machine cannot call code; move the computation into an activity",
                );
                Expr::Unit(span)
            }
            syn::Expr::Async(a) => {
                self.error(
                    a.async_token,
                    "`async` blocks run as branches of `try_join!(..)?`; elsewhere, write the statements directly",
                );
                Expr::Unit(span)
            }
            syn::Expr::Await(a) => {
                self.error(
                    a,
                    "bind the result of this call to a variable first (`let receipt = charge(order).await?;`) and use the variable here",
                );
                Expr::Unit(span)
            }
            syn::Expr::Try(t) if self.is_poisoned(&t.expr) => Expr::Unit(span),
            syn::Expr::Try(t) if matches!(strip(&t.expr), syn::Expr::Path(p) if self.outcome_var(p).is_some()) => {
                let name = quote::ToTokens::to_token_stream(&t.expr).to_string();
                self.error(
                    t,
                    format!("check a `join!` result in its own statement, then use the value: `let {name} = {name}?;`"),
                );
                Expr::Unit(span)
            }
            syn::Expr::Try(t) => {
                let message = if matches!(strip(&t.expr), syn::Expr::Await(_)) {
                    "bind the result of this call to a variable first (`let receipt = charge(order).await?;`) and use the variable here"
                } else {
                    "`?` applies to activity and workflow calls (`charge(order).await?`) and to `try_join!(..)?`"
                };
                self.error(t, message);
                Expr::Unit(span)
            }
            syn::Expr::Cast(c) => match &*c.ty {
                syn::Type::Path(ty) if ty.qself.is_none() && ty.path.is_ident("f32") => {
                    self.error(ty, F32_MESSAGE);
                    Expr::Unit(span)
                }
                syn::Type::Path(ty) if ty.qself.is_none() && ty.path.get_ident().is_some_and(is_number_type) => {
                    Expr::Cast(Box::new(self.expr(&c.expr)), (*c.ty).clone())
                }
                other => {
                    self.error(
                        other,
                        "only casts between number types can be expressed; convert other values inside an activity",
                    );
                    Expr::Unit(span)
                }
            },
            syn::Expr::If(_) | syn::Expr::Match(_) | syn::Expr::Block(_) => {
                self.error(expr, "bind this value with `let` first: `let x = if … { … } else { … };`, then use `x`");
                Expr::Unit(span)
            }
            syn::Expr::Range(r) => {
                self.error(r, "ranges can only be used as `match` patterns in a workflow");
                Expr::Unit(span)
            }
            other => {
                self.error(other, "this expression cannot be part of a state machine; compute it in an activity");
                Expr::Unit(span)
            }
        }
    }

    pub(super) fn path_expr(&mut self, p: &syn::ExprPath) -> Expr {
        let span = p.span();
        if p.qself.is_some() {
            self.error(p, "qualified paths cannot be expressed in a state machine");
            return Expr::Unit(span);
        }
        if let Some(ident) = p.path.get_ident() {
            let name = ident.to_string();
            if name == "None" {
                return Expr::None(span);
            }
            if let Some(id) = self.read(ident) {
                return Expr::Var(id, ident.span());
            }
            if starts_upper(ident) {
                self.error(
                    ident,
                    format!("name the variant with its enum, e.g. `Tier::{name}`; a workflow cannot read constants"),
                );
            } else {
                self.error(ident, format!("`{name}` is not a variable of this workflow"));
            }
            return Expr::Unit(span);
        }
        if let Some(what) = nondeterministic(&path_string(&p.path)) {
            self.error(p, nondeterminism_message(&path_string(&p.path), what));
            return Expr::Unit(span);
        }
        match split_variant(&p.path) {
            Some((ty, variant)) => Expr::UnitVariant { ty, variant },
            None => {
                self.error(p, "this path cannot be read in a state machine; pass the value in the workflow's input");
                Expr::Unit(span)
            }
        }
    }

    pub(super) fn method(&mut self, m: &syn::ExprMethodCall) -> Expr {
        let span = m.span();
        let name = m.method.to_string();
        let receiver = || -> &syn::Expr { &m.receiver };
        let unary = |this: &mut Self, wrap: fn(Box<Expr>) -> Expr| {
            if !m.args.is_empty() {
                this.error(&m.args, format!("`.{name}()` takes no arguments"));
            }
            wrap(Box::new(this.expr(receiver())))
        };
        match name.as_str() {
            "clone" | "to_owned" | "into" | "as_str" | "as_ref" | "borrow" | "as_slice" | "iter" | "into_iter"
            | "to_vec" | "cloned" | "copied" => {
                if !m.args.is_empty() {
                    self.error(&m.args, format!("`.{name}()` takes no arguments"));
                }
                self.expr(receiver())
            }
            "to_string" => unary(self, Expr::ToString),
            "len" => unary(self, Expr::Len),
            "count" if matches!(strip(&m.receiver), syn::Expr::MethodCall(inner) if inner.method == "chars") => {
                let syn::Expr::MethodCall(chars) = strip(&m.receiver) else { unreachable!() };
                if !m.args.is_empty() || !chars.args.is_empty() {
                    self.error(&m.args, "`.chars().count()` takes no arguments");
                }
                Expr::CharCount(Box::new(self.expr(&chars.receiver)))
            }
            "chars" => {
                self.error(
                    &m.method,
                    "a state machine cannot iterate over characters; count them with `.chars().count()`, \
                     or work on them in an activity",
                );
                Expr::Unit(span)
            }
            "try_into" => {
                self.error(&m.method, try_from_message("try_into"));
                Expr::Unit(span)
            }
            "is_empty" => unary(self, Expr::IsEmpty),
            "is_some" => unary(self, Expr::IsSome),
            "is_none" => unary(self, Expr::IsNone),
            "unwrap_or" if m.args.len() == 1 => {
                Expr::UnwrapOr(Box::new(self.expr(receiver())), Box::new(self.expr(&m.args[0])))
            }
            _ => {
                // The innermost mistake is the one to report: `std::env::var("X").unwrap_or_default()`
                // is an environment read before it is a method.
                if self.reads_in_error(std::iter::once(&*m.receiver).chain(&m.args)) {
                    return Expr::Unit(span);
                }
                self.error(
                    &m.method,
                    format!(
                        "`.{name}()` cannot run in a state machine; move this computation into an activity \
                         (methods a workflow understands: clone, len, chars().count(), is_empty, is_some, is_none, unwrap_or, to_string)"
                    ),
                );
                Expr::Unit(span)
            }
        }
    }

    pub(super) fn call_expr(&mut self, c: &syn::ExprCall) -> Expr {
        let span = c.span();
        let syn::Expr::Path(func) = strip(&c.func) else {
            self.error(&c.func, "only activities and workflows can be called in a workflow");
            return Expr::Unit(span);
        };
        let path = path_string(&func.path);
        if let Some(what) = nondeterministic(&path) {
            self.error(func, nondeterminism_message(&path, what));
            return Expr::Unit(span);
        }
        match path.as_str() {
            "Some" if c.args.len() == 1 => return Expr::Some(Box::new(self.expr(&c.args[0]))),
            "String::from" | "From::from" | "Into::into" | "ToOwned::to_owned" | "Clone::clone" | "Box::new"
                if c.args.len() == 1 =>
            {
                return self.expr(&c.args[0]);
            }
            "Vec::new" | "Vec::with_capacity" => return Expr::Array(Vec::new(), span),
            "TryFrom::try_from" => {
                self.error(func, try_from_message("try_from"));
                return Expr::Unit(span);
            }
            "Ok" | "Err" => {
                self.error(c, "`Ok`/`Err` end the workflow: write `return Ok(..)` / `return Err(..)`");
                return Expr::Unit(span);
            }
            _ => {}
        }
        if let Some(plain) = plain_constructor(&path) {
            return self.plain_value(plain, func, span);
        }
        if let Some(conversion) = self.number_conversion(func, c) {
            return conversion;
        }
        // The innermost mistake is the one to report.
        if self.reads_in_error(&c.args) {
            return Expr::Unit(span);
        }
        let name = func.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        let segments = &func.path.segments;
        // `Order::new(..)`: a function of a type, not one the user could make an activity of.
        if segments.len() >= 2 && starts_upper(&segments[segments.len() - 2].ident) {
            let ty = &segments[segments.len() - 2].ident;
            self.error(
                func,
                format!(
                    "`{ty}::{name}(..)` runs code of `{ty}`, which a state machine cannot; build the value with a \
                     struct literal (`{ty} {{ .. }}`) from the workflow's values, or in an activity"
                ),
            );
            return Expr::Unit(span);
        }
        self.error(
            func,
            format!(
                "`{name}(..)` cannot run in a state machine: a workflow calls activities and workflows (with `.await`) \
                 and computes only simple expressions; make `{name}` an `#[activity]` and write `{name}(..).await?`"
            ),
        );
        Expr::Unit(span)
    }

    /// The value a constructor of a plain value builds (`func` its path, for errors).
    pub(super) fn plain_value(&mut self, plain: Plain, func: &syn::ExprPath, span: Span) -> Expr {
        match plain {
            Plain::EmptyString => Expr::Lit(syn::Lit::Str(syn::LitStr::new("", span))),
            Plain::EmptyArray => Expr::Array(Vec::new(), span),
            Plain::False => Expr::Lit(syn::Lit::Bool(syn::LitBool::new(false, span))),
            Plain::None => Expr::None(span),
            Plain::Zero("f32") => {
                self.error(func, F32_MESSAGE);
                Expr::Unit(span)
            }
            Plain::Zero(ty) => {
                let zero = match ty {
                    "f64" => syn::Lit::Float(syn::LitFloat::new("0.0", span)),
                    _ => syn::Lit::Int(syn::LitInt::new("0", span)),
                };
                let ty = syn::Type::Path(syn::TypePath { qself: None, path: Ident::new(ty, span).into() });
                Expr::Cast(Box::new(Expr::Lit(zero)), ty)
            }
            Plain::Refused(message) => {
                self.error(func, message);
                Expr::Unit(span)
            }
        }
    }

    /// Reads `exprs` (reporting their errors) and says whether any of them was in error.
    fn reads_in_error<'e>(&mut self, exprs: impl IntoIterator<Item = &'e syn::Expr>) -> bool {
        let before = self.cx.error_count();
        for expr in exprs {
            self.expr(expr);
        }
        self.cx.error_count() > before
    }

    /// `u64::from(x)` (a lossless conversion: the value itself), `u8::try_from(x)` (refused).
    fn number_conversion(&mut self, func: &syn::ExprPath, c: &syn::ExprCall) -> Option<Expr> {
        let [ty, method] = [0, 1].map(|i| func.path.segments.get(i).map(|s| &s.ident));
        let (ty, method) = (ty?, method?);
        if func.path.segments.len() != 2 || !is_number_type(ty) {
            return None;
        }
        let span = c.span();
        match method.to_string().as_str() {
            "from" if ty == "f32" => self.error(ty, F32_MESSAGE),
            "from" if c.args.len() == 1 => {
                let target = syn::Type::Path(syn::TypePath { qself: None, path: ty.clone().into() });
                return Some(Expr::Cast(Box::new(self.expr(&c.args[0])), target));
            }
            "try_from" => self.error(func, try_from_message(&format!("{ty}::try_from"))),
            _ => return None,
        }
        Some(Expr::Unit(span))
    }

    pub(super) fn macro_expr(&mut self, mac: &syn::Macro, span: Span) -> Expr {
        let name = macro_name(mac);
        match name.as_str() {
            "vec" => {
                match mac.parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated) {
                    Ok(items) => Expr::Array(items.iter().map(|e| self.expr(e)).collect(), span),
                    Err(_) => {
                        self.error(mac, "write the vector's items: `vec![a, b]`");
                        Expr::Unit(span)
                    }
                }
            }
            "format" => self.format(mac, span),
            "println" | "print" | "eprintln" | "eprint" | "dbg" | "write" | "writeln" => {
                self.error(
                    &mac.path,
                    format!("`{name}!` writes to the process's output, which a state machine does not have; log inside an activity"),
                );
                Expr::Unit(span)
            }
            "try_join" | "join" => {
                self.error(mac, "bind the results: `let (a, b) = try_join!(f(x), g(y))?;`");
                Expr::Unit(span)
            }
            _ => {
                self.error(
                    &mac.path,
                    format!("`{name}!` cannot be expanded into a state machine; compute this in an activity"),
                );
                Expr::Unit(span)
            }
        }
    }

    pub(super) fn format(&mut self, mac: &syn::Macro, span: Span) -> Expr {
        let args = match mac.parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        {
            Ok(args) => args,
            Err(e) => {
                self.cx.syn_error(e);
                return Expr::Unit(span);
            }
        };
        let mut args = args.into_iter();
        let Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(template), .. })) = args.next() else {
            self.error(mac, "`format!` takes a string literal first");
            return Expr::Unit(span);
        };
        let mut positional: Vec<syn::Expr> = args.collect();
        positional.reverse();
        let text = template.value();
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut spec = String::new();
                    for c in chars.by_ref() {
                        if c == '}' {
                            break;
                        }
                        spec.push(c);
                    }
                    if !literal.is_empty() {
                        pieces.push(Expr::Lit(syn::Lit::Str(syn::LitStr::new(
                            &std::mem::take(&mut literal),
                            template.span(),
                        ))));
                    }
                    let (name, format) = spec.split_once(':').unwrap_or((spec.as_str(), ""));
                    if !format.is_empty() {
                        self.error(
                            &template,
                            format!("format specifications (`{{:{format}}}`) cannot be expressed; use plain `{{}}`"),
                        );
                    }
                    if name.is_empty() {
                        match positional.pop() {
                            Some(arg) => pieces.push(Expr::ToString(Box::new(self.expr(&arg)))),
                            None => self.error(&template, "`format!` has fewer arguments than `{}`"),
                        }
                    } else {
                        let ident = Ident::new(name, template.span());
                        match self.read(&ident) {
                            Some(id) => pieces.push(Expr::ToString(Box::new(Expr::Var(id, template.span())))),
                            None => self.error(&ident, format!("`{name}` is not a variable of this workflow")),
                        }
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Expr::Lit(syn::Lit::Str(syn::LitStr::new(&literal, template.span()))));
        }
        Expr::Format(pieces, span)
    }
}
