//! Text for diagrams: shortening long labels, estimating how wide a line is drawn (the SVG
//! is laid out without a font engine), and escaping for XML.

/// Font size of state names, in px.
pub(crate) const NAME_SIZE: f64 = 13.0;
/// Font size of every other line (details, notes, edge labels), in px.
pub(crate) const SMALL_SIZE: f64 = 11.0;

/// Width of `text` drawn at `size` px, bold or not. The advances are DejaVu Sans' (the widest
/// common sans-serif, so other fonts fit), and the SVG pins each line to this width with
/// `textLength`, so the layout holds whatever font renders it.
pub(crate) fn width(text: &str, size: f64, bold: bool) -> f64 {
    let em: f64 = text.chars().map(advance).sum();
    let w = em * size * if bold { 1.08 } else { 1.0 };
    (w * 100.0).round() / 100.0
}

/// Advance of a character, in em.
fn advance(c: char) -> f64 {
    match c {
        'i' | 'j' | 'l' | '\'' | '|' | '.' | ',' | ':' | ';' | '!' => 0.3,
        ' ' | 'f' | 't' | 'r' | 'I' | '(' | ')' | '[' | ']' | '{' | '}' | '/' | '\\' => 0.4,
        'm' | 'w' => 0.95,
        'M' | 'W' => 0.95,
        '@' | '%' => 0.95,
        'A'..='Z' => 0.72,
        'a'..='z' => 0.61,
        '0'..='9' => 0.64,
        '$' | '#' | '&' | '_' | '-' | '+' | '=' | '<' | '>' | '~' | '^' | '*' | '"' | '?' => 0.7,
        c if c.is_ascii() => 0.6,
        // Wide scripts (CJK and the like) take a full em; other symbols nearly one.
        c if (c as u32) >= 0x2E80 => 1.0,
        _ => 0.8,
    }
}

/// `text` shortened to at most `max` characters: long dotted paths keep their first and last
/// two steps (`$states.context.Execution.Input.items` → `$states…Input.items`), then the
/// rest is cut with `…`.
pub(crate) fn abbreviate(text: &str, max: usize) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let mut out = String::new();
    let mut word = String::new();
    let is_path = |c: char| c.is_alphanumeric() || matches!(c, '$' | '_' | '.');
    for c in text.chars().chain(std::iter::once('\0')) {
        if is_path(c) {
            word.push(c);
            continue;
        }
        let steps: Vec<&str> = word.split('.').collect();
        if steps.len() >= 5 && steps.iter().all(|s| !s.is_empty() || steps[0].is_empty()) {
            out.push_str(steps[0]);
            out.push('…');
            out.push_str(&steps[steps.len() - 2..].join("."));
        } else {
            out.push_str(&word);
        }
        word.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    if out.chars().count() <= max {
        return out;
    }
    let mut cut: String = out.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// Error names in little room: `A, B`, `4 Lambda errors` when they share a service prefix,
/// `A +2` otherwise.
pub(crate) fn list_errors(errors: &[String], max: usize) -> String {
    let all = errors.join(", ");
    if errors.len() <= 2 && all.chars().count() <= max {
        return all;
    }
    let prefix = errors.first().and_then(|e| e.split_once('.')).map(|(p, _)| p);
    if let Some(p) = prefix.filter(|p| errors.iter().all(|e| e.split_once('.').map(|(q, _)| q) == Some(*p))) {
        return format!("{} {p} errors", errors.len());
    }
    match errors {
        [] => String::new(),
        [one] => abbreviate(one, max),
        [first, rest @ ..] => format!("{} +{}", abbreviate(first, max.saturating_sub(4)), rest.len()),
    }
}

/// Escapes text for XML and HTML content and attribute values.
pub(crate) fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_paths_keep_their_ends() {
        assert_eq!(
            abbreviate("$count($states.context.Execution.Input.items) = 0", 34),
            "$count($states…Input.items) = 0"
        );
        let long = abbreviate("$not(($exists($states.context.Execution.Input.express) ? x : false))", 34);
        assert_eq!(long.chars().count(), 34);
        assert!(long.ends_with('…'));
        assert_eq!(abbreviate("short", 34), "short");
    }

    #[test]
    fn errors_are_listed_in_little_room() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(list_errors(&s(&["States.ALL"]), 30), "States.ALL");
        assert_eq!(list_errors(&s(&["A", "B", "C"]), 30), "A +2");
        assert_eq!(list_errors(&s(&["Lambda.A", "Lambda.B", "Lambda.C"]), 30), "3 Lambda errors");
    }

    #[test]
    fn xml_is_escaped() {
        assert_eq!(escape_xml("<script>\"&'"), "&lt;script&gt;&quot;&amp;&#39;");
    }
}
