//! Mermaid `flowchart TD`. States are nodes with generated ids (names may hold any
//! character; labels carry them as entity codes), a Parallel or Map is a subgraph holding one
//! subgraph per branch or its item processor, Catch edges are dotted links styled red.

use std::fmt::Write as _;

use super::graph::{EdgeKind, Group, Node};

/// Mermaid label text: everything but letters, digits, spaces and plain punctuation becomes a
/// `#code;` entity, so no character of a state name can end the label or open markup.
fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                ' ' | '_'
                    | '.'
                    | ','
                    | ':'
                    | '('
                    | ')'
                    | '='
                    | '+'
                    | '-'
                    | '*'
                    | '/'
                    | '!'
                    | '?'
                    | '$'
                    | '\''
                    | '@'
                    | '%'
                    | '^'
                    | '~'
            )
        {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", c as u32);
        }
    }
    out
}

fn node_label(node: &Node) -> String {
    let mut lines = vec![label(&node.name)];
    if node.detail != node.name {
        lines.push(label(&node.detail));
    }
    lines.extend(node.retries.iter().map(|r| label(&r.short)));
    lines.join("<br/>")
}

pub(crate) fn emit_mermaid(root: &Group) -> String {
    let mut s = String::from("flowchart TD\n");
    s.push_str("  m_start((\"start\"))\n");
    s.push_str("  m_end(((\"end\")))\n");
    let mut classes: Vec<(String, &'static str)> = Vec::new();
    emit_nodes(&mut s, root, 1, &mut classes);
    let mut links = 0usize;
    let mut catches = Vec::new();
    if let Some(start) = root.start {
        let _ = writeln!(s, "  m_start --> {}", root.states[start].id);
        links += 1;
    }
    emit_edges(&mut s, root, &mut links, &mut catches);
    for st in root.states.iter().filter(|st| st.terminal && st.kind != "Fail") {
        let _ = writeln!(s, "  {} --> m_end", st.id);
    }
    s.push_str("  classDef task fill:#eaf1fd,stroke:#4a6fb5\n");
    s.push_str("  classDef choice fill:#fff5d6,stroke:#b8860b\n");
    s.push_str("  classDef wait fill:#f2edfb,stroke:#7b5ea7\n");
    s.push_str("  classDef succeed fill:#e3f4e6,stroke:#2e7d32\n");
    s.push_str("  classDef fail fill:#fdeaea,stroke:#c62828\n");
    s.push_str("  classDef other fill:#f3f3f3,stroke:#777777\n");
    s.push_str("  classDef marker fill:#333333,stroke:#333333,color:#ffffff\n");
    s.push_str("  class m_start,m_end marker\n");
    for class in ["task", "choice", "wait", "succeed", "fail", "other"] {
        let ids: Vec<&str> = classes.iter().filter(|(_, c)| *c == class).map(|(id, _)| id.as_str()).collect();
        if !ids.is_empty() {
            let _ = writeln!(s, "  class {} {class}", ids.join(","));
        }
    }
    if !catches.is_empty() {
        let list: Vec<String> = catches.iter().map(usize::to_string).collect();
        let _ = writeln!(s, "  linkStyle {} stroke:#c0392b,color:#c0392b", list.join(","));
    }
    s
}

fn emit_nodes(s: &mut String, g: &Group, depth: usize, classes: &mut Vec<(String, &'static str)>) {
    let pad = "  ".repeat(depth);
    for node in &g.states {
        if node.children.is_empty() {
            let text = node_label(node);
            let shape = match node.kind.as_str() {
                "Choice" => format!("{{{{\"{text}\"}}}}"),
                "Succeed" | "Fail" => format!("([\"{text}\"])"),
                _ => format!("[\"{text}\"]"),
            };
            let _ = writeln!(s, "{pad}{}{shape}", node.id);
            let class = match node.kind.as_str() {
                "Task" => "task",
                "Choice" => "choice",
                "Wait" => "wait",
                "Succeed" => "succeed",
                "Fail" => "fail",
                _ => "other",
            };
            classes.push((node.id.clone(), class));
        } else {
            let _ = writeln!(s, "{pad}subgraph {} [\"{}\"]", node.id, node_label(node));
            let _ = writeln!(s, "{pad}  direction TB");
            for c in &node.children {
                let _ = writeln!(s, "{pad}  subgraph {} [\"{}\"]", c.id, label(&c.label));
                let _ = writeln!(s, "{pad}    direction TB");
                emit_nodes(s, &c.group, depth + 2, classes);
                let _ = writeln!(s, "{pad}  end");
            }
            let _ = writeln!(s, "{pad}end");
        }
    }
}

fn emit_edges(s: &mut String, g: &Group, links: &mut usize, catches: &mut Vec<usize>) {
    for e in &g.edges {
        let (from, to) = (&g.states[e.from].id, &g.states[e.to].id);
        let arrow = if e.kind == EdgeKind::Catch { "-.->" } else { "-->" };
        match &e.label {
            Some(t) => {
                let _ = writeln!(s, "  {from} {arrow}|\"{}\"| {to}", label(&t.short));
            }
            None => {
                let _ = writeln!(s, "  {from} {arrow} {to}");
            }
        }
        if e.kind == EdgeKind::Catch {
            catches.push(*links);
        }
        *links += 1;
    }
    for node in &g.states {
        for c in &node.children {
            emit_edges(s, &c.group, links, catches);
        }
    }
}
