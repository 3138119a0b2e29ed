//! stepcraft's fuzz targets, each a function of a [`Gen`] that panics on a finding: the same
//! functions run on stable Rust in the test command (`tests/tests/fuzz_*.rs`, a fixed time
//! budget per target, random choices from a seeded generator) and under libFuzzer with
//! `cargo fuzz` (`fuzz/`, the choices read from the fuzzer's bytes, coverage-guided).
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `STEPCRAFT_FUZZ_SECONDS` | wall-clock budget of each target | per target, a few seconds |
//! | `STEPCRAFT_FUZZ_CASES` | stop after this many cases (without `…_SECONDS`: no time limit) | none |
//! | `STEPCRAFT_FUZZ_SEED` | the first case's seed (case `i` runs seed `SEED + i`) | fixed |
//!
//! A failing case prints its seed; `STEPCRAFT_FUZZ_SEED=<seed> STEPCRAFT_FUZZ_CASES=1` replays
//! it alone. A case that runs longer than its target's hang limit aborts the process, naming
//! the seed.

pub mod asl;
pub mod compiler;
pub mod escaping;
pub mod events;
pub mod jsonata;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Where a case's choices come from.
#[derive(Debug)]
enum Source<'a> {
    /// SplitMix64, seeded per case.
    Rng(u64),
    /// A fuzzer's input, read front to back; zeros once it is used up.
    Bytes(&'a [u8]),
}

/// The choices of one case.
#[derive(Debug)]
pub struct Gen<'a> {
    source: Source<'a>,
}

impl Gen<'static> {
    /// Choices from a seeded generator.
    pub fn from_seed(seed: u64) -> Gen<'static> {
        Gen { source: Source::Rng(seed) }
    }
}

impl<'a> Gen<'a> {
    /// Choices read from a fuzzer's bytes.
    pub fn from_bytes(bytes: &'a [u8]) -> Gen<'a> {
        Gen { source: Source::Bytes(bytes) }
    }

    /// 64 random bits.
    pub fn u64(&mut self) -> u64 {
        match &mut self.source {
            Source::Rng(state) => {
                *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = *state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            }
            Source::Bytes(bytes) => {
                let mut buf = [0u8; 8];
                let n = bytes.len().min(8);
                buf[..n].copy_from_slice(&bytes[..n]);
                *bytes = &bytes[n..];
                u64::from_le_bytes(buf)
            }
        }
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        match &mut self.source {
            // One byte per small choice, so that the fuzzer's mutations stay local.
            Source::Bytes(bytes) if n <= 256 => match bytes.split_first() {
                Some((b, rest)) => {
                    *bytes = rest;
                    *b as usize % n
                }
                None => 0,
            },
            _ => (self.u64() % n as u64) as usize,
        }
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }

    /// One of `items`.
    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.u64() % ((hi - lo) as u64 + 1)) as i64
    }

    /// A string built from pieces that break escaping: quotes, backslashes, template markers,
    /// backquotes, control characters, newlines, surrogate-adjacent and astral code points.
    pub fn nasty_string(&mut self, max_pieces: usize) -> String {
        const PIECES: &[&str] = &[
            "\"",
            "'",
            "\\",
            "\\\\",
            "%}",
            "{%",
            "%",
            "{",
            "}",
            "`",
            "$",
            "$$",
            "\n",
            "\r\n",
            "\t",
            "\u{0}",
            "\u{1f}",
            "\u{7f}",
            "é",
            "ß",
            "😀",
            "\u{2028}",
            "\u{2029}",
            "\u{feff}",
            "\u{fffd}",
            "\u{10ffff}",
            ".$",
            "$.",
            "&",
            "~>",
            "/*",
            "*/",
            " ",
            "a",
            "abc",
            "Order",
            "\\u0025",
            "\\\"",
            "\\n",
            "null",
            "true",
            "1e9",
            "-0",
            "$states",
            "{% $states.input %}",
            "\u{301}",
            "\u{200d}",
            "[",
            "]",
            "(",
            ")",
            ":",
            ",",
            "#",
            "?",
            "*",
            "**",
        ];
        let n = self.below(max_pieces + 1);
        let mut s = String::new();
        for _ in 0..n {
            if self.chance(1, 6) {
                // Any scalar value, including the rare ones the list does not name.
                let c = char::from_u32(self.u64() as u32 % 0x11_0000).unwrap_or('\u{fffd}');
                s.push(c);
            } else {
                s.push_str(self.pick(PIECES));
            }
        }
        s
    }

    /// Mutates a string a little: a piece inserted, deleted, duplicated or replaced.
    pub fn mutate_text(&mut self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        if chars.is_empty() {
            return self.nasty_string(4);
        }
        let at = self.below(chars.len() + 1);
        let len = self.below(8.min(chars.len() - at.min(chars.len())) + 1);
        let (head, rest) = chars.split_at(at);
        let (mid, tail) = rest.split_at(len.min(rest.len()));
        let head: String = head.iter().collect();
        let mid: String = mid.iter().collect();
        let tail: String = tail.iter().collect();
        match self.below(4) {
            0 => format!("{head}{}{mid}{tail}", self.nasty_string(3)),
            1 => format!("{head}{tail}"),
            2 => format!("{head}{mid}{mid}{tail}"),
            _ => format!("{head}{}{tail}", self.nasty_string(2)),
        }
    }
}

/// How long a target runs.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Wall-clock limit.
    pub time: Option<Duration>,
    /// Case limit.
    pub cases: Option<u64>,
    /// The first case's seed.
    pub seed: u64,
}

impl Budget {
    /// The budget of a target: `default_seconds` unless the environment says otherwise.
    pub fn from_env(default_seconds: f64) -> Budget {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let seconds = var("STEPCRAFT_FUZZ_SECONDS")
            .map(|v| v.trim().parse::<f64>().expect("STEPCRAFT_FUZZ_SECONDS: a number of seconds"));
        let cases =
            var("STEPCRAFT_FUZZ_CASES").map(|v| v.trim().parse::<u64>().expect("STEPCRAFT_FUZZ_CASES: a count"));
        let seed = var("STEPCRAFT_FUZZ_SEED").map(|v| v.trim().parse::<u64>().expect("STEPCRAFT_FUZZ_SEED: a number"));
        let time = match (seconds, cases) {
            (Some(s), _) => Some(Duration::from_secs_f64(s)),
            (None, Some(_)) => None,
            (None, None) => Some(Duration::from_secs_f64(default_seconds)),
        };
        Budget { time, cases, seed: seed.unwrap_or(0x5eed_0000) }
    }
}

/// What a target's run did.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// Cases run.
    pub cases: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// The slowest case and its seed.
    pub slowest: (Duration, u64),
}

/// Runs `case` on fresh choices until the budget is spent. A panicking case fails the run
/// with its seed; a case running longer than `hang` aborts the process with its seed.
pub fn run(target: &str, budget: Budget, hang: Duration, case: impl Fn(&mut Gen<'static>)) -> Report {
    let current = Arc::new(AtomicU64::new(budget.seed));
    let started_ms = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let origin = Instant::now();
    let watchdog = {
        let (current, started_ms, done) = (current.clone(), started_ms.clone(), done.clone());
        let target = target.to_owned();
        std::thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(100));
                let now = origin.elapsed().as_millis() as u64;
                if now.saturating_sub(started_ms.load(Ordering::Acquire)) > hang.as_millis() as u64
                    && !done.load(Ordering::Acquire)
                {
                    eprintln!(
                        "fuzz {target}: the case of seed {} has run for more than {hang:?} (a hang); replay it with \
                         STEPCRAFT_FUZZ_SEED={} STEPCRAFT_FUZZ_CASES=1",
                        current.load(Ordering::Acquire),
                        current.load(Ordering::Acquire)
                    );
                    std::process::abort();
                }
            }
        })
    };
    let mut cases = 0u64;
    let mut slowest = (Duration::ZERO, budget.seed);
    loop {
        let elapsed = origin.elapsed();
        if budget.time.is_some_and(|t| elapsed >= t) || budget.cases.is_some_and(|c| cases >= c) {
            break;
        }
        let seed = budget.seed.wrapping_add(cases);
        current.store(seed, Ordering::Release);
        started_ms.store(origin.elapsed().as_millis() as u64, Ordering::Release);
        let begin = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| case(&mut Gen::from_seed(seed))));
        let took = begin.elapsed();
        if took > slowest.0 {
            slowest = (took, seed);
        }
        if let Err(payload) = outcome {
            done.store(true, Ordering::Release);
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "fuzz {target}: the case of seed {seed} failed after {cases} passing cases: {message}\nreplay it with \
                 STEPCRAFT_FUZZ_SEED={seed} STEPCRAFT_FUZZ_CASES=1"
            );
        }
        cases += 1;
    }
    done.store(true, Ordering::Release);
    let _ = watchdog.join();
    let report = Report { cases, elapsed: origin.elapsed(), slowest };
    eprintln!(
        "fuzz {target}: {cases} cases in {:.1} s (seeds {}..{}), slowest {:.1} ms (seed {})",
        report.elapsed.as_secs_f64(),
        budget.seed,
        budget.seed.wrapping_add(cases),
        slowest.0.as_secs_f64() * 1e3,
        slowest.1
    );
    report
}

/// The resident set of this process, in bytes (0 where `/proc` is missing).
pub fn rss_bytes() -> u64 {
    rss_of("self")
}

/// The resident set of process `pid` (`"self"` for this one), in bytes.
pub fn rss_of(pid: &str) -> u64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).unwrap_or(0) * 4096
}

/// The files under `dir` (relative to the workspace root) whose names end with `suffix`,
/// sorted, with their contents.
pub fn corpus(dir: &str, suffix: &str) -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix)
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push((path.display().to_string(), text));
            }
        }
    }
    out.sort();
    out
}

/// JSON equality with numbers compared as JavaScript compares them (as doubles), and object
/// keys in order.
pub fn json_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k, v), (l, w))| k == l && json_eq(v, w))
        }
        _ => a == b,
    }
}
