//! The `stepcraft` command (work in progress).

fn main() {
    eprintln!("stepcraft: not built yet");
    std::process::exit(2);
}
