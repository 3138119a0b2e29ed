//! Diagrams of state machines: any ASL definition (either query language) drawn as Mermaid
//! (`flowchart TD`), Graphviz DOT, or a self-contained SVG this module lays out itself.
//!
//! [`Diagram::from_json`] reads the definition into a graph ([`graph`]); the formats render
//! from it ([`mermaid`], [`dot`], [`svg`] over [`layout`]). Every state is drawn, nested
//! states of Parallel branches and Map item processors inside their state; Choice rules,
//! `Default` and `Next` are edges labelled with their condition; Catch edges are dashed and red,
//! labelled with their `ErrorEquals`; each Retry is a note on its state. The same definition
//! always gives byte-identical output.
//!
//! ```
//! use stepcraft_local::diagram::{Diagram, Format};
//!
//! let d = Diagram::from_json(&serde_json::json!({
//!     "StartAt": "Charge",
//!     "States": {
//!         "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
//!                    "Retry": [{"ErrorEquals": ["GatewayDown"], "MaxAttempts": 3}],
//!                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund"}], "End": true},
//!         "Refund": {"Type": "Fail", "Error": "Declined"}
//!     }
//! })).unwrap();
//! assert!(d.render(Format::Mermaid).starts_with("flowchart TD"));
//! assert!(d.render(Format::Svg).contains("retry GatewayDown"));
//! assert!(d.overlaps().is_empty());
//! ```

mod dot;
mod graph;
mod layout;
mod mermaid;
mod svg;
pub(crate) mod text;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use graph::{Group, read_group};
use layout::Layout;

/// A definition that cannot be drawn: not an object with `StartAt` and `States`, or a
/// transition to a state that is not there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagramError(pub(crate) String);

impl fmt::Display for DiagramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DiagramError {}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Mermaid `flowchart TD`, for Markdown.
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// SVG, laid out here; no scripts, fonts, images or links to fetch.
    Svg,
}

impl Format {
    /// The file extension: `mmd`, `dot`, `svg`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Mermaid => "mmd",
            Format::Dot => "dot",
            Format::Svg => "svg",
        }
    }
}

impl Format {
    /// The format a file name asks for by its extension (`x.svg`, `x.mmd`, `x.dot`).
    pub fn for_file(path: &str) -> Option<Format> {
        path.rsplit_once('.').and_then(|(_, ext)| ext.parse().ok())
    }
}

impl FromStr for Format {
    type Err = String;

    /// `mermaid` (or `mmd`), `dot` (or `gv`), `svg`.
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "mermaid" | "mmd" => Ok(Format::Mermaid),
            "dot" | "gv" => Ok(Format::Dot),
            "svg" => Ok(Format::Svg),
            other => Err(format!("unknown diagram format `{other}`; the formats are: mermaid, dot, svg")),
        }
    }
}

/// What became of a state in one execution; the SVG of a run colours each state by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Never entered.
    NotEntered,
    /// Entered and left normally, at the first attempt.
    Succeeded,
    /// Succeeded after at least one retry.
    Retried,
    /// Stopped because a sibling branch or iteration failed.
    Aborted,
    /// Failed, and a Catch took over.
    Caught,
    /// Failed (or a `Fail` state was reached).
    Failed,
}

impl Outcome {
    /// `not-entered`, `succeeded`, `retried`, `aborted`, `caught`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NotEntered => "not-entered",
            Outcome::Succeeded => "succeeded",
            Outcome::Retried => "retried",
            Outcome::Aborted => "aborted",
            Outcome::Caught => "caught",
            Outcome::Failed => "failed",
        }
    }

    /// Every outcome, in the legend's order.
    pub const ALL: [Outcome; 6] =
        [Outcome::Succeeded, Outcome::Retried, Outcome::Caught, Outcome::Failed, Outcome::Aborted, Outcome::NotEntered];
}

/// A state machine's diagram.
#[derive(Debug, Clone)]
pub struct Diagram {
    root: Group,
}

impl Diagram {
    /// Reads a definition.
    pub fn from_json(definition: &Value) -> Result<Diagram, DiagramError> {
        Ok(Diagram { root: read_group(definition, "", &mut 0)? })
    }

    /// Reads a definition given as JSON text.
    pub fn from_json_str(definition: &str) -> Result<Diagram, DiagramError> {
        let v: Value = serde_json::from_str(definition)
            .map_err(|e| DiagramError(format!("the definition is not valid JSON: {e}")))?;
        Diagram::from_json(&v)
    }

    /// The diagram in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Mermaid => mermaid::emit_mermaid(&self.root),
            Format::Dot => dot::emit_dot(&self.root),
            Format::Svg => svg::emit_svg(&Layout::of(&self.root), None),
        }
    }

    /// The SVG with each state coloured by its outcome in an execution (states missing from
    /// `outcomes` are drawn as not entered) and a legend.
    pub fn render_svg_with_outcomes(&self, outcomes: &BTreeMap<String, Outcome>) -> String {
        svg::emit_svg(&Layout::of(&self.root), Some(outcomes))
    }

    /// What would make the SVG unreadable (overlapping boxes or labels, an edge through a box
    /// or a label), one sentence each; empty for every diagram this module lays out.
    pub fn overlaps(&self) -> Vec<String> {
        Layout::of(&self.root).overlaps()
    }

    /// Every state's name, nested ones included, in definition order.
    pub fn state_names(&self) -> Vec<&str> {
        fn walk<'a>(g: &'a Group, out: &mut Vec<&'a str>) {
            for s in &g.states {
                out.push(&s.name);
                for c in &s.children {
                    walk(&c.group, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// Every transition as (from, to, kind): kind is `next`, `choice`, `default` or `catch`.
    pub fn transitions(&self) -> Vec<(&str, &str, &'static str)> {
        fn walk<'a>(g: &'a Group, out: &mut Vec<(&'a str, &'a str, &'static str)>) {
            for e in &g.edges {
                out.push((&g.states[e.from].name, &g.states[e.to].name, e.kind.as_str()));
            }
            for s in &g.states {
                for c in &s.children {
                    walk(&c.group, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }
}
