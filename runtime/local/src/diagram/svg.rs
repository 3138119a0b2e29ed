//! SVG from a [`Layout`]: boxes coloured by state type (or by outcome, for a run), edges as
//! curves with arrowheads, Catch edges dashed and red. Self-contained: no scripts, no
//! external fonts, images or links. Every text is escaped and pinned to the width the layout
//! measured, so it fits its box in any font.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Outcome;
use super::graph::EdgeKind;
use super::layout::{Layout, Line, Rect, Route, Shape, ShapeKind};
use super::text::{SMALL_SIZE, escape_xml, width};

const CATCH: &str = "#c0392b";
const EDGE: &str = "#4d5560";
const LEGEND_H: f64 = 30.0;

/// Fill and stroke of a state type.
fn type_colours(state_type: &str) -> (&'static str, &'static str) {
    match state_type {
        "Task" => ("#eaf1fd", "#4a6fb5"),
        "Choice" => ("#fff5d6", "#b8860b"),
        "Wait" => ("#f2edfb", "#7b5ea7"),
        "Succeed" => ("#e3f4e6", "#2e7d32"),
        "Fail" => ("#fdeaea", "#c62828"),
        "Parallel" | "Map" => ("#f7f8fa", "#8a94a3"),
        _ => ("#f3f3f3", "#777777"),
    }
}

/// Fill and stroke of an outcome.
fn outcome_colours(o: Outcome) -> (&'static str, &'static str) {
    match o {
        Outcome::Succeeded => ("#c9ecd1", "#1e7b34"),
        Outcome::Retried => ("#fff0b3", "#b7791f"),
        Outcome::Caught => ("#ffd9b3", "#d35400"),
        Outcome::Failed => ("#ffcdd2", "#c62828"),
        Outcome::Aborted => ("#e2e2e2", "#616161"),
        Outcome::NotEntered => ("#ffffff", "#b5b5b5"),
    }
}

fn n(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r.fract() == 0.0 { format!("{}", r as i64) } else { format!("{r:.1}") }
}

/// The SVG document; with `outcomes`, states are coloured by them and a legend is added.
pub(crate) fn emit_svg(layout: &Layout, outcomes: Option<&BTreeMap<String, Outcome>>) -> String {
    let legend_w = outcomes.map(|_| legend_width()).unwrap_or(0.0);
    let w = layout.width.max(legend_w + 24.0);
    let h = layout.height + if outcomes.is_some() { LEGEND_H } else { 0.0 };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\" role=\"img\">",
        w = n(w),
        h = n(h)
    );
    s.push_str("<title>state machine</title>\n<defs>\n");
    for (id, colour) in [("arrow", EDGE), ("arrow-catch", CATCH)] {
        let _ = writeln!(
            s,
            "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" \
             orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{colour}\"/></marker>"
        );
    }
    s.push_str("</defs>\n");
    let _ = writeln!(
        s,
        "<rect class=\"background\" x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        n(w),
        n(h)
    );
    // Containers first, so that what they hold is drawn over them.
    for shape in layout.shapes.iter().filter(|sh| matches!(sh.kind, ShapeKind::Compound | ShapeKind::Frame)) {
        emit_shape(&mut s, shape, outcomes);
    }
    for route in &layout.routes {
        emit_route(&mut s, route);
    }
    for shape in layout.shapes.iter().filter(|sh| !matches!(sh.kind, ShapeKind::Compound | ShapeKind::Frame)) {
        emit_shape(&mut s, shape, outcomes);
    }
    if outcomes.is_some() {
        emit_legend(&mut s, layout.height);
    }
    s.push_str("</svg>\n");
    s
}

fn emit_text(s: &mut String, line: &Line, fill: &str) {
    let weight = if line.bold { " font-weight=\"bold\"" } else { "" };
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"{}\"{weight} fill=\"{fill}\" textLength=\"{}\" \
         lengthAdjust=\"spacingAndGlyphs\">{}</text>",
        n(line.x),
        n(line.y),
        n(line.size),
        n(line.w),
        escape_xml(&line.text)
    );
}

fn emit_shape(s: &mut String, shape: &Shape, outcomes: Option<&BTreeMap<String, Outcome>>) {
    let Rect { x, y, w, h } = shape.rect;
    match shape.kind {
        ShapeKind::Start => {
            let _ = writeln!(
                s,
                "<g class=\"marker start\"><title>start</title><circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"#333\"/></g>",
                n(x + w / 2.0),
                n(y + h / 2.0),
                n(w / 2.0 - 1.0)
            );
        }
        ShapeKind::End => {
            let (cx, cy) = (n(x + w / 2.0), n(y + h / 2.0));
            let _ = writeln!(
                s,
                "<g class=\"marker end\"><title>end</title><circle cx=\"{cx}\" cy=\"{cy}\" r=\"{}\" fill=\"#fff\" \
                 stroke=\"#333\" stroke-width=\"1.5\"/><circle cx=\"{cx}\" cy=\"{cy}\" r=\"{}\" fill=\"#333\"/></g>",
                n(w / 2.0 - 1.0),
                n(w / 2.0 - 5.0)
            );
        }
        ShapeKind::Frame => {
            let _ = writeln!(
                s,
                "<g class=\"frame\" id=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\" fill=\"#ffffff\" \
                 stroke=\"#c3c9d2\" stroke-dasharray=\"4 3\"/>",
                escape_xml(&shape.id),
                n(x),
                n(y),
                n(w),
                n(h)
            );
            for l in &shape.lines {
                emit_text(s, l, "#6b7380");
            }
            s.push_str("</g>\n");
        }
        ShapeKind::State | ShapeKind::Compound => {
            let outcome = outcomes.map(|o| o.get(&shape.name).copied().unwrap_or(Outcome::NotEntered));
            let ((fill, stroke), dash, text) = match outcome {
                Some(o) => (
                    outcome_colours(o),
                    if o == Outcome::NotEntered { " stroke-dasharray=\"4 3\"" } else { "" },
                    if o == Outcome::NotEntered { "#8a8a8a" } else { "#1f2328" },
                ),
                None => (type_colours(&shape.state_type), "", "#1f2328"),
            };
            // A compound keeps a light fill so that its frames stand out.
            let fill = if shape.kind == ShapeKind::Compound && outcome.is_none() { "#f7f8fa" } else { fill };
            let class = format!("state t-{}", shape.state_type.to_ascii_lowercase());
            let _ = write!(
                s,
                "<g class=\"{}\" id=\"{}\" data-state=\"{}\" data-type=\"{}\"",
                escape_xml(&class),
                escape_xml(&shape.id),
                escape_xml(&shape.name),
                escape_xml(&shape.state_type)
            );
            if let Some(o) = outcome {
                let _ = write!(s, " data-outcome=\"{}\"", o.as_str());
            }
            let _ = writeln!(
                s,
                "><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\" fill=\"{fill}\" \
                 stroke=\"{stroke}\" stroke-width=\"1.4\"{dash}/>",
                escape_xml(&shape.tooltip),
                n(x),
                n(y),
                n(w),
                n(h),
                if shape.state_type == "Succeed" || shape.state_type == "Fail" { 14 } else { 6 }
            );
            for l in &shape.lines {
                emit_text(s, l, if l.bold { text } else { "#4b5260" });
            }
            s.push_str("</g>\n");
        }
    }
}

fn emit_route(s: &mut String, r: &Route) {
    let catch = r.kind == Some(EdgeKind::Catch);
    let (colour, arrow) = if catch { (CATCH, "arrow-catch") } else { (EDGE, "arrow") };
    let dash = match r.kind {
        Some(EdgeKind::Catch) => " stroke-dasharray=\"6 4\"",
        Some(EdgeKind::Default) => " stroke-dasharray=\"2 3\"",
        _ => "",
    };
    let mut d = String::new();
    let p = &r.points;
    if r.self_loop {
        let _ = write!(
            d,
            "M{},{} C{},{} {},{} {},{}",
            n(p[0].0),
            n(p[0].1),
            n(p[1].0),
            n(p[1].1),
            n(p[2].0),
            n(p[2].1),
            n(p[3].0),
            n(p[3].1)
        );
    } else {
        let _ = write!(d, "M{},{}", n(p[0].0), n(p[0].1));
        for (i, q) in p.iter().enumerate().skip(1) {
            let a = p[i - 1];
            // A run of no length would leave the arrowhead without a direction.
            if i % 2 == 1 && ((q.0 - a.0).abs() + (q.1 - a.1).abs()) < 0.5 {
                continue;
            }
            if i % 2 == 1 || (q.0 - a.0).abs() < 4.0 {
                let _ = write!(d, " L{},{}", n(q.0), n(q.1));
            } else {
                let mid = (a.1 + q.1) / 2.0;
                let _ = write!(d, " C{},{} {},{} {},{}", n(a.0), n(mid), n(q.0), n(mid), n(q.0), n(q.1));
            }
        }
    }
    let kind = r.kind.map(EdgeKind::as_str).unwrap_or("marker");
    let _ = write!(
        s,
        "<g class=\"edge {kind}\" data-from=\"{}\" data-to=\"{}\" data-kind=\"{kind}\">",
        escape_xml(&r.from),
        escape_xml(&r.to)
    );
    if !r.tooltip.is_empty() {
        let _ = write!(s, "<title>{}</title>", escape_xml(&r.tooltip));
    }
    let _ = writeln!(
        s,
        "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.4\"{dash} marker-end=\"url(#{arrow})\"/>"
    );
    if let Some((line, _)) = &r.label {
        emit_text(s, line, if catch { CATCH } else { "#3d4451" });
    }
    s.push_str("</g>\n");
}

fn legend_width() -> f64 {
    Outcome::ALL.iter().map(|o| 18.0 + width(o.as_str(), SMALL_SIZE, false) + 14.0).sum()
}

fn emit_legend(s: &mut String, top: f64) {
    let mut x = 12.0;
    let y = top + 6.0;
    s.push_str("<g class=\"legend\">\n");
    for o in Outcome::ALL {
        let (fill, stroke) = outcome_colours(o);
        let label = o.as_str().replace('-', " ");
        let w = width(&label, SMALL_SIZE, false);
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"14\" rx=\"3\" fill=\"{fill}\" stroke=\"{stroke}\"/>",
            n(x),
            n(y)
        );
        emit_text(s, &Line { text: label, x: x + 18.0, y: y + 11.0, w, size: SMALL_SIZE, bold: false }, "#333");
        x += 18.0 + w + 14.0;
    }
    s.push_str("</g>\n");
}
