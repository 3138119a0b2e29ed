//! `stepcraft graph FILE.asl.json [--format mermaid|dot|svg] [--out FILE]`: a state
//! machine's diagram, Mermaid on standard output by default.

use std::process::ExitCode;

use stepcraft_local::diagram::{Diagram, Format};

/// Options of `stepcraft graph`.
#[derive(Debug, PartialEq, Eq)]
struct GraphArgs {
    file: String,
    format: Format,
    out: Option<String>,
}

fn parse_graph_args(args: &[String]) -> Result<GraphArgs, String> {
    let (mut file, mut format, mut out) = (None, None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = |name: &str| match inline.clone() {
            Some(v) => Ok(v),
            None => it.next().cloned().ok_or_else(|| format!("`{name}` needs a value")),
        };
        match flag {
            "--format" => format = Some(value("--format")?.parse::<Format>()?),
            "--out" | "-o" => out = Some(value("--out")?),
            f if f.starts_with('-') && f.len() > 1 => {
                return Err(format!("unknown option `{f}`; supported options are: --format, --out"));
            }
            _ if file.is_some() => return Err(format!("unexpected argument `{a}`: give one definition file")),
            _ => file = Some(a.clone()),
        }
    }
    let file = file.ok_or("a definition file is required, e.g. `stepcraft graph machine.asl.json`")?;
    // Without `--format`, `--out x.svg` says which format it wants.
    let format = format.or_else(|| out.as_deref().and_then(Format::for_file)).unwrap_or(Format::Mermaid);
    Ok(GraphArgs { file, format, out })
}

/// Runs `stepcraft graph`.
pub(crate) fn graph(args: &[String]) -> ExitCode {
    let a = match parse_graph_args(args) {
        Ok(a) => a,
        Err(e) => return crate::usage_error(&e),
    };
    let text = match std::fs::read_to_string(&a.file) {
        Ok(t) => t,
        Err(e) => return crate::fail(&format!("cannot read `{}`: {e}", a.file)),
    };
    let diagram = match Diagram::from_json_str(&text) {
        Ok(d) => d,
        Err(e) => {
            crate::eprint(&format!("stepcraft: cannot draw `{}`: {e}", a.file));
            return ExitCode::from(3);
        }
    };
    let rendered = diagram.render(a.format);
    match &a.out {
        Some(path) => match std::fs::write(path, rendered) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => crate::fail(&format!("cannot write `{path}`: {e}")),
        },
        None => crate::print_then(&rendered, ExitCode::SUCCESS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_options() {
        let a = parse_graph_args(&args(&["m.asl.json"])).unwrap();
        assert_eq!(a, GraphArgs { file: "m.asl.json".into(), format: Format::Mermaid, out: None });
        assert_eq!(parse_graph_args(&args(&["m", "--format=dot"])).unwrap().format, Format::Dot);
        assert_eq!(parse_graph_args(&args(&["m", "--out", "m.svg"])).unwrap().format, Format::Svg);
        assert!(parse_graph_args(&args(&["m", "--format", "png"])).unwrap_err().contains("mermaid, dot, svg"));
        assert!(parse_graph_args(&args(&["--out", "x"])).is_err());
    }
}
