//! The HTML page of one execution: a single self-contained file (inline CSS and a few lines
//! of inline script, nothing fetched) with the execution's status, output or error and
//! cause, the state machine's SVG with each state coloured by its outcome, and a timeline of
//! the states visited whose input, output, attempts and virtual times open on click.
//! Everything from the definition or the execution is escaped.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde_json::Value;

use crate::diagram::text::escape_xml;
use crate::diagram::{Diagram, DiagramError, Outcome};
use crate::executor::ExecutionResult;
use crate::history::{Details, Event, TraceEntry, TraceStatus};
use crate::time::format_timestamp;

/// Each state's outcome in `result`: the worst of its visits (failed, caught, aborted,
/// retried, succeeded, in that order); states never entered are absent.
pub fn outcomes(result: &ExecutionResult) -> BTreeMap<String, Outcome> {
    let mut out: BTreeMap<String, Outcome> = BTreeMap::new();
    for t in &result.trace {
        let o = visit_outcome(t);
        let e = out.entry(t.state.to_string()).or_insert(o);
        *e = (*e).max(o);
    }
    out
}

fn visit_outcome(t: &TraceEntry) -> Outcome {
    match t.status {
        TraceStatus::Succeeded if t.retries > 0 => Outcome::Retried,
        TraceStatus::Succeeded => Outcome::Succeeded,
        TraceStatus::Caught => Outcome::Caught,
        TraceStatus::Failed => Outcome::Failed,
        TraceStatus::Aborted | TraceStatus::Running => Outcome::Aborted,
    }
}

/// The page of `result`, an execution of `definition`; `title` heads it (the state
/// machine's name).
pub fn html_report(definition: &Value, result: &ExecutionResult, title: &str) -> Result<String, DiagramError> {
    let diagram = Diagram::from_json(definition)?;
    let svg = diagram.render_svg_with_outcomes(&outcomes(result));
    let mut h = String::new();
    let status = result.status.as_str();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} — {status}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        escape_xml(title)
    );
    let _ = writeln!(h, "<header class=\"summary status-{}\">", status.to_ascii_lowercase());
    let _ = writeln!(h, "<h1>{} <span class=\"status\" id=\"status\">{status}</span></h1>", escape_xml(title));
    let _ = writeln!(
        h,
        "<p class=\"meta\">execution <code>{}</code> · virtual start {} · took {} · {} events</p>",
        escape_xml(&result.execution_name),
        format_timestamp(result.start_ms),
        human(result.stop_ms - result.start_ms),
        result.history.len()
    );
    match &result.output {
        Some(output) => {
            let _ = writeln!(h, "<h2>Output</h2>\n<pre id=\"output\">{}</pre>", escape_xml(&pretty(output)));
        }
        None => {
            let _ = writeln!(
                h,
                "<dl class=\"failure\"><dt>error</dt><dd id=\"error\"><code>{}</code></dd><dt>cause</dt><dd id=\"cause\">{}</dd></dl>",
                escape_xml(result.error.as_deref().unwrap_or("(none)")),
                escape_pretty(result.cause.as_deref().unwrap_or("(none)"))
            );
        }
    }
    h.push_str("</header>\n<main>\n<section class=\"diagram\">\n<h2>State machine</h2>\n");
    h.push_str(&svg);
    h.push_str("</section>\n<section class=\"timeline\">\n<h2>Timeline</h2>\n<ol id=\"timeline\">\n");
    let index = History::new(&result.history);
    for t in &result.trace {
        timeline_entry(&mut h, t, &index, result.start_ms);
    }
    h.push_str("</ol>\n</section>\n</main>\n");
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    Ok(h)
}

/// The history, navigable by event id and by `previousEventId`.
struct History<'a> {
    events: &'a [Event],
    by_id: HashMap<u64, usize>,
    children: HashMap<u64, Vec<usize>>,
}

impl<'a> History<'a> {
    fn new(events: &'a [Event]) -> History<'a> {
        let mut by_id = HashMap::new();
        let mut children: HashMap<u64, Vec<usize>> = HashMap::new();
        for (i, e) in events.iter().enumerate() {
            by_id.insert(e.id, i);
            children.entry(e.previous_event_id).or_default().push(i);
        }
        History { events, by_id, children }
    }

    /// The events of one visit, from its `*StateEntered` along its own thread of events
    /// (other states entered from it, such as a Parallel's branches, are not followed), to its
    /// `*StateExited` when there is one.
    fn visit(&self, entered: u64, name: &str) -> (Vec<&'a Event>, Option<&'a Event>) {
        let mut own = Vec::new();
        let mut cur = entered;
        loop {
            let next = self
                .children
                .get(&cur)
                .into_iter()
                .flatten()
                .map(|&i| &self.events[i])
                .find(|e| !e.event_type.ends_with("StateEntered") && !e.event_type.starts_with("MapIteration"));
            match next {
                Some(e) if e.event_type.ends_with("StateExited") => return (own, Some(e)),
                Some(e) => {
                    own.push(e);
                    cur = e.id;
                }
                None => break,
            }
        }
        // A Map's thread continues from its last iteration: its exit is the first one of its name.
        let from = self.by_id.get(&entered).copied().unwrap_or(0);
        let exited =
            self.events[from..].iter().find(|e| e.event_type.ends_with("StateExited") && e.name() == Some(name));
        (own, exited)
    }
}

fn timeline_entry(h: &mut String, t: &TraceEntry, history: &History<'_>, start_ms: i64) {
    let outcome = visit_outcome(t);
    let entered = history.by_id.get(&t.entered_event_id).map(|&i| &history.events[i]);
    let (own, exited) = history.visit(t.entered_event_id, &t.state);
    let _ = write!(
        h,
        "<li><details class=\"visit o-{}\" data-state=\"{}\" data-outcome=\"{}\" style=\"margin-left:{}em\"><summary>",
        outcome.as_str(),
        escape_xml(&t.state),
        outcome.as_str(),
        t.depth * 2
    );
    let _ = write!(h, "<span class=\"time\">+{}</span> ", human(t.start_ms - start_ms));
    if let Some(l) = &t.label {
        let _ = write!(h, "<span class=\"branch\">[{}]</span> ", escape_xml(l));
    }
    let _ = write!(
        h,
        "<span class=\"name\">{}</span> <span class=\"type\">{}</span> <span class=\"badge\">{}</span>",
        escape_xml(&t.state),
        t.state_type,
        outcome.as_str().replace('-', " ")
    );
    if t.retries > 0 {
        let _ = write!(
            h,
            " <span class=\"retries\">{} {}</span>",
            t.retries,
            if t.retries == 1 { "retry" } else { "retries" }
        );
    }
    if let Some(e) = &t.error {
        let _ = write!(h, " <code class=\"error\">{}</code>", escape_xml(e));
    }
    h.push_str("</summary>\n<div class=\"body\">\n");
    let _ = writeln!(
        h,
        "<p class=\"times\">entered {} (+{}) · left {} · took {}</p>",
        format_timestamp(t.start_ms),
        human(t.start_ms - start_ms),
        format_timestamp(t.end_ms),
        human(t.end_ms - t.start_ms)
    );
    let attempts = attempts(&own, start_ms);
    if !attempts.is_empty() {
        h.push_str("<h3>Attempts</h3>\n<ol class=\"attempts\">\n");
        for a in attempts {
            let _ = writeln!(h, "<li>{a}</li>");
        }
        h.push_str("</ol>\n");
    }
    if let Some(input) = entered.and_then(Event::input) {
        let _ = writeln!(h, "<h3>Input</h3>\n<pre>{}</pre>", escape_xml(&pretty(&input)));
    }
    if let Some(output) = exited.and_then(Event::output) {
        let _ = writeln!(h, "<h3>Output</h3>\n<pre>{}</pre>", escape_xml(&pretty(&output)));
    }
    h.push_str("</div>\n</details></li>\n");
}

/// One line per task attempt of a visit: when it was scheduled and how it ended.
fn attempts(own: &[&Event], start_ms: i64) -> Vec<String> {
    let mut out = Vec::new();
    let mut scheduled = None;
    for e in own {
        let ended = match &e.details {
            Details::TaskScheduled { .. } | Details::LambdaFunctionScheduled { .. } => {
                scheduled = Some(e.timestamp_ms);
                continue;
            }
            Details::TaskSucceeded { .. } | Details::LambdaFunctionSucceeded { .. } => "succeeded".to_string(),
            Details::TaskSubmitted { .. } => "submitted".to_string(),
            Details::TaskFailed { error, cause, .. }
            | Details::TaskTimedOut { error, cause, .. }
            | Details::LambdaFunctionFailed { error, cause }
            | Details::LambdaFunctionTimedOut { error, cause } => format!(
                "failed with <code class=\"error\">{}</code>: {}",
                escape_xml(error.as_deref().unwrap_or("(no error)")),
                escape_pretty(cause.as_deref().unwrap_or(""))
            ),
            _ => continue,
        };
        if e.event_type == "TaskSubmitted" {
            continue;
        }
        let at = scheduled.take().unwrap_or(e.timestamp_ms);
        out.push(format!(
            "attempt {} at <span class=\"time\">+{}</span> ({}) {ended}",
            out.len() + 1,
            human(at - start_ms),
            format_timestamp(at)
        ));
    }
    out
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// A cause, pretty-printed when it is JSON (a Lambda error payload), escaped.
fn escape_pretty(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => format!("<pre>{}</pre>", escape_xml(&pretty(&v))),
        _ => escape_xml(text),
    }
}

/// `1.250s`, `1h02m03s`.
fn human(ms: i64) -> String {
    let (s, rem) = (ms / 1000, ms % 1000);
    match s {
        s if s < 60 => format!("{s}.{rem:03}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m{:02}s", s / 3600, s % 3600 / 60, s % 60),
    }
}

const CSS: &str = "
body{font-family:DejaVu Sans,Verdana,Arial,sans-serif;margin:0;color:#1f2328;background:#f6f7f9}
header.summary{padding:16px 24px;background:#fff;border-bottom:4px solid #1e7b34}
header.status-failed,header.status-timed_out,header.status-aborted{border-bottom-color:#c62828}
h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:8px 0}h3{font-size:13px;margin:8px 0 4px}
.status{font-size:14px;padding:2px 8px;border-radius:4px;background:#c9ecd1;color:#1e5a2b;vertical-align:middle}
.status-failed .status,.status-timed_out .status,.status-aborted .status{background:#ffcdd2;color:#8e1b1b}
.meta{color:#57606a;font-size:13px;margin:0 0 8px}
dl.failure{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0}dt{font-weight:bold}dd{margin:0}
main{display:flex;flex-wrap:wrap;gap:16px;padding:16px 24px;align-items:flex-start}
section{background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:12px 16px}
section.diagram{overflow:auto;max-width:100%}section.timeline{flex:1;min-width:360px}
ol#timeline{list-style:none;padding:0;margin:0}ol#timeline>li{margin:3px 0}
details.visit>summary{cursor:pointer;padding:4px 6px;border-radius:4px;border-left:5px solid #b5b5b5;font-size:13px}
details.visit .body{padding:4px 12px 8px;font-size:12px}
.o-succeeded>summary{border-left-color:#1e7b34;background:#eef8f0}.o-retried>summary{border-left-color:#b7791f;background:#fff8dc}
.o-caught>summary{border-left-color:#d35400;background:#fff0e0}.o-failed>summary{border-left-color:#c62828;background:#ffecee}
.o-aborted>summary{border-left-color:#616161;background:#eeeeee}
.time{font-family:DejaVu Sans Mono,monospace;color:#57606a}.name{font-weight:bold}.type{color:#57606a}
.badge{font-size:11px;padding:1px 6px;border-radius:8px;background:#e1e4e8}.retries{color:#b7791f}.error{color:#c62828}
pre{background:#f6f8fa;border:1px solid #e1e4e8;border-radius:4px;padding:6px 8px;overflow:auto;max-height:320px;font-size:12px}
g.state{cursor:pointer}
";

/// Clicking a state in the diagram opens its first visit in the timeline.
const SCRIPT: &str = "
document.querySelectorAll('svg g.state').forEach(function (g) {
  g.addEventListener('click', function () {
    var d = Array.prototype.find.call(document.querySelectorAll('details.visit'), function (v) {
      return v.dataset.state === g.dataset.state;
    });
    if (d) { d.open = true; d.scrollIntoView({block: 'center'}); }
  });
});
";
