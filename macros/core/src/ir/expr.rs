//! The IR's expression language: the pure values a state reads or writes (variables, fields,
//! literals, constructors, operators), the conditions of `Choice` rules, the patterns of
//! `match` arms, and the workflow's variables with what types them.
//!
//! The parse stage (`body/expr.rs`) builds these values; lowering moves them into states
//! unchanged; the emitters turn them into calls to the runtime's `expr` module, which is the
//! one place that writes JSONata.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Ident, Path};

/// A workflow variable.
pub type VarId = usize;

/// What an `Err` arm catches.
#[derive(Clone)]
pub enum ErrCatch {
    /// Every error (`Err(e)`, `Err(_)`): `States.ALL`.
    All,
    /// These variants of the error type.
    Variants(Vec<(Path, Ident)>),
}

/// A `Choice` condition.
#[derive(Clone)]
pub enum Cond {
    /// A boolean expression.
    Bool(Expr),
    /// `if let Some(x) = value`: binds `x` to the value.
    IsSome { value: Expr, binding: Option<VarId> },
}

/// A pattern of a `match` on a value.
#[derive(Clone)]
pub enum ArmPat {
    /// `_`, or a binding of the whole value.
    Wild(Option<VarId>),
    /// `Enum::Variant`, `Enum::Variant { a, .. }`, `Enum::Variant(x)`.
    Variant { ty: Path, variant: Ident, bindings: Vec<VariantBinding> },
    /// A literal.
    Lit(syn::Lit),
    /// `lo..=hi` / `lo..hi` with literal bounds.
    Range { lo: Option<syn::Lit>, hi: Option<syn::Lit>, inclusive: bool },
    /// `a | b`.
    Or(Vec<ArmPat>),
}

/// A value bound by a variant pattern.
#[derive(Clone)]
pub enum VariantBinding {
    /// `{ field }` / `{ field: name }`
    Field { field: Ident, var: VarId },
    /// `(content)` of a newtype variant.
    Content(VarId),
}

/// A number of seconds.
#[derive(Clone)]
pub enum Seconds {
    Literal(u64),
    Expr { value: Expr, multiplier: u64 },
}

/// A pure expression.
pub enum Expr {
    Var(VarId, Span),
    Field(Box<Expr>, Ident),
    TupleField(Box<Expr>, syn::Index),
    Index(Box<Expr>, Box<Expr>),
    Lit(syn::Lit),
    Struct {
        path: Path,
        fields: Vec<(Ident, Expr)>,
    },
    /// `Enum::Variant { a: x }`.
    VariantStruct {
        ty: Path,
        variant: Ident,
        fields: Vec<(Ident, Expr)>,
    },
    UnitVariant {
        ty: Path,
        variant: Ident,
    },
    Array(Vec<Expr>, Span),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Len(Box<Expr>),
    /// `value.chars().count()`.
    CharCount(Box<Expr>),
    IsEmpty(Box<Expr>),
    IsSome(Box<Expr>),
    IsNone(Box<Expr>),
    ToString(Box<Expr>),
    UnwrapOr(Box<Expr>, Box<Expr>),
    Some(Box<Expr>),
    None(Span),
    Format(Vec<Expr>, Span),
    /// `value as u32`: a number type.
    Cast(Box<Expr>, syn::Type),
    /// The value of a successful `join!` result.
    OutcomeOk(VarId, Span),
    /// The error of a failed `join!` result.
    OutcomeErr(VarId, Span),
    Unit(Span),
}

/// A binary operator.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    /// The operator as Rust spells it (for state names such as `If order.total > 100`).
    pub fn rust(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "&&",
            BinOp::Or => "||",
        }
    }
}

/// The variables of a workflow.
#[derive(Default)]
pub struct Vars {
    pub list: Vec<Var>,
    /// Ids in the order their types became known: the order of their declarations in
    /// generated code.
    pub order: Vec<VarId>,
}

/// A variable.
pub struct Var {
    pub rust: Ident,
    pub def: VarDef,
}

/// Where a variable's value comes from: what gives it its type in generated code.
pub enum VarDef {
    /// Not known yet (a `let mut v = Vec::new()` before the loop that fills it).
    Pending,
    /// The workflow's argument, of this type.
    Input(syn::Type),
    /// The result of calling this activity or workflow.
    Step(Path),
    /// A name for an expression: no variable in the state machine.
    Alias(Expr),
    /// An error bound by a `Catch`.
    Caught,
    /// The value inside an `Option` expression.
    SomeInner(Expr),
    /// An item of a collection expression.
    ItemOf(Expr),
    /// The index of a `for` loop's item, over `items.enumerate()`: a `usize`.
    ItemIndex,
    /// The values a `for` loop collects, like this expression.
    CollectionOf(Expr),
    /// The results of calling this activity or workflow, collected by a `for` loop.
    CollectionOfStep(Path),
    /// A value like this expression (assigned on several paths).
    Like(Expr),
    /// A `join!` branch's `Result`: `{"ok": value}` or `{"err": {"Error", "Cause"}}`, its
    /// value typed as the inner definition says.
    Outcome(Box<VarDef>),
    /// A field of a struct variant.
    VariantField { value: Expr, ty: Path, variant: Ident, field: Ident },
    /// The content of a newtype variant.
    VariantContent { value: Expr, ty: Path, variant: Ident },
}

impl Vars {
    /// Whether the variable exists in the state machine (names for expressions do not; the
    /// workflow's argument is the execution's input).
    pub fn is_asl(&self, id: VarId) -> bool {
        !matches!(
            self.list[id].def,
            VarDef::Alias(_)
                | VarDef::Input(_)
                | VarDef::SomeInner(_)
                | VarDef::VariantField { .. }
                | VarDef::VariantContent { .. }
        )
    }
}

impl Expr {
    /// A copy of the expression (expressions are small trees).
    pub fn clone_expr(&self) -> Expr {
        match self {
            Expr::Var(id, span) => Expr::Var(*id, *span),
            Expr::Field(b, f) => Expr::Field(Box::new(b.clone_expr()), f.clone()),
            Expr::TupleField(b, i) => Expr::TupleField(Box::new(b.clone_expr()), i.clone()),
            Expr::Index(b, i) => Expr::Index(Box::new(b.clone_expr()), Box::new(i.clone_expr())),
            Expr::Lit(l) => Expr::Lit(l.clone()),
            Expr::Struct { path, fields } => Expr::Struct {
                path: path.clone(),
                fields: fields.iter().map(|(n, e)| (n.clone(), e.clone_expr())).collect(),
            },
            Expr::UnitVariant { ty, variant } => Expr::UnitVariant { ty: ty.clone(), variant: variant.clone() },
            Expr::VariantStruct { ty, variant, fields } => Expr::VariantStruct {
                ty: ty.clone(),
                variant: variant.clone(),
                fields: fields.iter().map(|(n, e)| (n.clone(), e.clone_expr())).collect(),
            },
            Expr::Array(items, span) => Expr::Array(items.iter().map(Expr::clone_expr).collect(), *span),
            Expr::Binary(op, a, b) => Expr::Binary(*op, Box::new(a.clone_expr()), Box::new(b.clone_expr())),
            Expr::Not(e) => Expr::Not(Box::new(e.clone_expr())),
            Expr::Neg(e) => Expr::Neg(Box::new(e.clone_expr())),
            Expr::Len(e) => Expr::Len(Box::new(e.clone_expr())),
            Expr::CharCount(e) => Expr::CharCount(Box::new(e.clone_expr())),
            Expr::IsEmpty(e) => Expr::IsEmpty(Box::new(e.clone_expr())),
            Expr::IsSome(e) => Expr::IsSome(Box::new(e.clone_expr())),
            Expr::IsNone(e) => Expr::IsNone(Box::new(e.clone_expr())),
            Expr::ToString(e) => Expr::ToString(Box::new(e.clone_expr())),
            Expr::UnwrapOr(a, b) => Expr::UnwrapOr(Box::new(a.clone_expr()), Box::new(b.clone_expr())),
            Expr::Some(e) => Expr::Some(Box::new(e.clone_expr())),
            Expr::None(s) => Expr::None(*s),
            Expr::Format(p, s) => Expr::Format(p.iter().map(Expr::clone_expr).collect(), *s),
            Expr::Cast(e, ty) => Expr::Cast(Box::new(e.clone_expr()), ty.clone()),
            Expr::OutcomeOk(v, s) => Expr::OutcomeOk(*v, *s),
            Expr::OutcomeErr(v, s) => Expr::OutcomeErr(*v, *s),
            Expr::Unit(s) => Expr::Unit(*s),
        }
    }
}

impl Clone for Expr {
    fn clone(&self) -> Self {
        self.clone_expr()
    }
}

/// The span of an expression, for messages.
pub fn expr_span(expr: &Expr) -> Span {
    match expr {
        Expr::Var(_, s)
        | Expr::Array(_, s)
        | Expr::None(s)
        | Expr::Format(_, s)
        | Expr::Unit(s)
        | Expr::OutcomeOk(_, s)
        | Expr::OutcomeErr(_, s) => *s,
        Expr::Field(_, f) => f.span(),
        Expr::TupleField(_, i) => i.span,
        Expr::Lit(l) => l.span(),
        Expr::Struct { path, .. } => path.span(),
        Expr::UnitVariant { variant, .. } | Expr::VariantStruct { variant, .. } => variant.span(),
        Expr::Index(b, _)
        | Expr::Binary(_, b, _)
        | Expr::Not(b)
        | Expr::Neg(b)
        | Expr::Len(b)
        | Expr::CharCount(b)
        | Expr::IsEmpty(b)
        | Expr::IsSome(b)
        | Expr::IsNone(b)
        | Expr::ToString(b)
        | Expr::UnwrapOr(b, _)
        | Expr::Cast(b, _)
        | Expr::Some(b) => expr_span(b),
    }
}
