//! Graphviz DOT. A Parallel or Map is a cluster holding one cluster per branch or its item
//! processor; edges into and out of it are clipped at its border (`compound=true` with
//! `lhead`/`ltail` on a state inside). Catch edges are dashed and red.

use std::fmt::Write as _;

use super::graph::{EdgeKind, Group, Node};

/// A DOT double-quoted string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn label(node: &Node) -> String {
    let mut lines = vec![node.name.clone()];
    if node.detail != node.name {
        lines.push(node.detail.clone());
    }
    lines.extend(node.retries.iter().map(|r| r.short.clone()));
    quoted(&lines.join("\n"))
}

/// A state inside a compound, to anchor edges clipped at the compound's border.
fn anchor(node: &Node) -> &Node {
    match node.children.first().and_then(|c| c.group.start.map(|s| &c.group.states[s])) {
        Some(inner) => anchor(inner),
        None => node,
    }
}

pub(crate) fn emit_dot(root: &Group) -> String {
    let mut s = String::from("digraph StateMachine {\n");
    s.push_str("  compound=true;\n  rankdir=TB;\n  fontname=\"sans-serif\";\n");
    s.push_str("  node [shape=box, style=\"rounded,filled\", fontname=\"sans-serif\", fontsize=11, fillcolor=\"#eaf1fd\", color=\"#4a6fb5\"];\n");
    s.push_str("  edge [fontname=\"sans-serif\", fontsize=10, color=\"#4d5560\"];\n");
    s.push_str("  m_start [label=\"\", shape=circle, width=0.2, style=filled, fillcolor=\"#333333\"];\n");
    s.push_str("  m_end [label=\"\", shape=doublecircle, width=0.15, style=filled, fillcolor=\"#333333\"];\n");
    emit_nodes(&mut s, root, 1);
    if let Some(start) = root.start {
        emit_edge(&mut s, "m_start", None, &root.states[start], None, "");
    }
    emit_edges(&mut s, root);
    for st in root.states.iter().filter(|st| st.terminal && st.kind != "Fail") {
        let a = anchor(st);
        let tail =
            if a.id != st.id { format!(", ltail={}", quoted(&format!("cluster_{}", st.id))) } else { String::new() };
        let _ = writeln!(s, "  {} -> m_end [{}];", a.id, tail.trim_start_matches(", "));
    }
    s.push_str("}\n");
    s
}

fn emit_nodes(s: &mut String, g: &Group, depth: usize) {
    let pad = "  ".repeat(depth);
    for node in &g.states {
        if node.children.is_empty() {
            let colours = match node.kind.as_str() {
                "Choice" => ", shape=hexagon, fillcolor=\"#fff5d6\", color=\"#b8860b\"",
                "Wait" => ", fillcolor=\"#f2edfb\", color=\"#7b5ea7\"",
                "Succeed" => ", fillcolor=\"#e3f4e6\", color=\"#2e7d32\"",
                "Fail" => ", fillcolor=\"#fdeaea\", color=\"#c62828\"",
                "Task" => "",
                _ => ", fillcolor=\"#f3f3f3\", color=\"#777777\"",
            };
            let _ = writeln!(s, "{pad}{} [label={}{colours}];", node.id, label(node));
        } else {
            let _ = writeln!(s, "{pad}subgraph {} {{", quoted(&format!("cluster_{}", node.id)));
            let _ = writeln!(s, "{pad}  label={};\n{pad}  style=\"rounded\";\n{pad}  color=\"#8a94a3\";", label(node));
            for c in &node.children {
                let _ = writeln!(s, "{pad}  subgraph {} {{", quoted(&format!("cluster_{}", c.id)));
                let _ = writeln!(
                    s,
                    "{pad}    label={};\n{pad}    style=\"dashed\";\n{pad}    color=\"#c3c9d2\";",
                    quoted(&c.label)
                );
                emit_nodes(s, &c.group, depth + 2);
                let _ = writeln!(s, "{pad}  }}");
            }
            let _ = writeln!(s, "{pad}}}");
        }
    }
}

fn emit_edge(s: &mut String, from_id: &str, from: Option<&Node>, to: &Node, kind: Option<EdgeKind>, text: &str) {
    let mut attrs = Vec::new();
    let tail = match from {
        Some(f) => {
            let a = anchor(f);
            if a.id != f.id {
                attrs.push(format!("ltail={}", quoted(&format!("cluster_{}", f.id))));
            }
            a.id.clone()
        }
        None => from_id.to_string(),
    };
    let head = anchor(to);
    if head.id != to.id {
        attrs.push(format!("lhead={}", quoted(&format!("cluster_{}", to.id))));
    }
    if !text.is_empty() {
        attrs.push(format!("label={}", quoted(text)));
    }
    match kind {
        Some(EdgeKind::Catch) => attrs.push("style=dashed, color=\"#c0392b\", fontcolor=\"#c0392b\"".into()),
        Some(EdgeKind::Default) => attrs.push("style=dotted".into()),
        _ => {}
    }
    let _ = writeln!(s, "  {tail} -> {} [{}];", head.id, attrs.join(", "));
}

fn emit_edges(s: &mut String, g: &Group) {
    for e in &g.edges {
        let text = e.label.as_ref().map(|t| t.short.as_str()).unwrap_or("");
        let from = &g.states[e.from];
        emit_edge(s, &from.id, Some(from), &g.states[e.to], Some(e.kind), text);
    }
    for node in &g.states {
        for c in &node.children {
            emit_edges(s, &c.group);
        }
    }
}
