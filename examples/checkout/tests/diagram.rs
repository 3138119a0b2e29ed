//! The checkout saga's diagrams and HTML report, through the binary's own commands
//! (`graph`, `run --html`): every state and transition of the shipped ASL is drawn in the SVG
//! and the Mermaid (read back by the real Mermaid parser), the layout has no overlaps, Chromium
//! renders the SVG to a non-blank image, and the page of a declined card's run shows
//! ChargePayment caught, ReleaseInventory succeeded and the execution FAILED with CardDeclined.

#[path = "../../../runtime/local/tests/diagram_tools/mod.rs"]
mod diagram_tools;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use stepcraft_local::diagram::{Diagram, Format};

use diagram_tools::{expected, from_mermaid, from_svg, solid_or_catch};

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("stepcraft-checkout-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn path(&self, file: &str) -> String {
        self.0.join(file).to_string_lossy().into_owned()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn checkout(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_checkout")).args(args).output().unwrap()
}

/// The state machine as `synth` writes it.
fn definition(dir: &Dir) -> Value {
    let o = checkout(&["synth", "--out", &dir.path("asl")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(dir.path("asl/Checkout.asl.json")).unwrap()).unwrap()
}

#[test]
fn the_saga_is_drawn_whole() {
    let dir = Dir::new("graph");
    let def = definition(&dir);
    let (states, edges) = expected(&def);
    assert!(states.len() >= 14 && edges.iter().any(|e| e.2 == "catch"));
    let svg_file = dir.path("Checkout.svg");
    let o = checkout(&["graph", "checkout", "--out", &svg_file]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(&svg_file).unwrap();
    assert_eq!(from_svg(&svg), (states.clone(), edges.clone()));
    let diagram = Diagram::from_json(&def).unwrap();
    assert_eq!(svg, diagram.render(Format::Svg), "the command draws what the library draws");
    assert_eq!(diagram.overlaps(), Vec::<String>::new());
    assert!(svg.contains("retry GatewayDown \u{d7}3") && svg.contains(">States.ALL</text>"));

    let mermaid = checkout(&["graph", "Checkout"]);
    assert!(mermaid.status.success());
    let mermaid = String::from_utf8(mermaid.stdout).unwrap();
    assert!(mermaid.starts_with("flowchart TD\n"));
    let dot = checkout(&["graph", "checkout", "--format", "dot"]);
    assert!(String::from_utf8_lossy(&dot.stdout).starts_with("digraph StateMachine {"));
    match diagram_tools::install(false) {
        Ok(()) => {
            let parsed = diagram_tools::parse_mermaid(&[mermaid]);
            assert_eq!(from_mermaid(&parsed[0]), (states, solid_or_catch(&edges)));
        }
        Err(why) => eprintln!("notice: the Mermaid parser cannot be installed here: {why}"),
    }
}

#[test]
fn the_saga_renders_in_chromium_and_its_declined_run_reads_in_the_report() {
    if let Err(why) = diagram_tools::install(true) {
        eprintln!("notice: chromium cannot be installed here, so nothing is rendered: {why}");
        return;
    }
    let dir = Dir::new("chromium");
    let def = definition(&dir);
    let svg = Diagram::from_json(&def).unwrap().render(Format::Svg);
    let size = regex_lite::Regex::new(r#"<svg [^>]*width="(\d+)" height="(\d+)""#).unwrap();
    let c = size.captures(&svg).unwrap();
    let (w, h): (usize, usize) = (c[1].parse().unwrap(), c[2].parse().unwrap());
    std::fs::write(dir.path("Checkout.svg"), &svg).unwrap();
    let png = dir.path("Checkout.png");
    diagram_tools::chromium(
        &[&format!("--screenshot={png}"), &format!("--window-size={w},{h}")],
        &format!("file://{}", dir.path("Checkout.svg")),
    );
    let drawn = diagram_tools::non_white_pixels(std::path::Path::new(&png));
    assert!(drawn > w * h / 50 && drawn < w * h / 2, "{drawn} of {} pixels drawn", w * h);

    let declined = dir.path("declined.json");
    let mut order: Value = serde_json::from_str(include_str!("../order.json")).unwrap();
    order["card"] = "4000000000000002".into();
    std::fs::write(&declined, order.to_string()).unwrap();
    let page = dir.path("declined.html");
    let o = checkout(&["run", "checkout", "--input", &format!("@{declined}"), "--html", &page]);
    assert!(!o.status.success(), "a declined card fails the execution");
    let html = std::fs::read_to_string(&page).unwrap();
    for external in ["src=", "href=", "@import", "url(http"] {
        assert!(!html.contains(external), "the page is self-contained: {external}");
    }
    let dom = diagram_tools::chromium(&["--dump-dom"], &format!("file://{page}"));
    let outcome = |state: &str| {
        let re =
            regex_lite::Regex::new(&format!(r#"<g [^>]*data-state="{state}"[^>]*data-outcome="([a-z-]+)""#)).unwrap();
        re.captures(&dom).map(|c| c[1].to_string()).unwrap_or_else(|| panic!("{state} is drawn"))
    };
    assert_eq!(outcome("ChargePayment"), "caught");
    assert_eq!(outcome("ReleaseInventory"), "succeeded");
    assert_eq!(outcome("ReserveInventory"), "succeeded");
    assert_eq!(outcome("Fail"), "failed");
    assert_eq!(outcome("Check input"), "succeeded");
    assert_eq!(outcome("Invalid input"), "not-entered");
    assert_eq!(outcome("PackItem"), "not-entered");
    assert!(dom.contains(r#"<span class="status" id="status">FAILED</span>"#));
    assert!(dom.contains(r#"<dd id="error"><code>CardDeclined</code></dd>"#));
    let timeline: Vec<&str> = dom.matches(r#"<details class="visit"#).collect();
    // The first is the state machine's input check ("Check input").
    assert_eq!(timeline.len(), 6, "one timeline entry per state entered");
    assert!(dom.contains(r#"data-state="ChargePayment" data-outcome="caught""#));
    assert!(dom.contains("failed with <code class=\"error\">CardDeclined</code>"));
}
