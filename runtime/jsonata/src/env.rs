//! The evaluation environment: variable bindings, options, and the host that
//! supplies the clock and randomness.

use std::cell::Cell;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// Supplies the non-deterministic inputs of an evaluation, so that an executor
/// can make them deterministic or virtual.
///
/// * the clock read once at the start of each evaluation (`$now()`, `$millis()`,
///   and the defaults of `$toMillis` with a picture);
/// * uniform random numbers (`$random()`, `$shuffle()`, `$uuid()`).
pub trait Host: Sync {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;

    /// A number uniformly distributed in `[0, 1)`.
    fn random(&self) -> f64;

    /// The value of Step Functions' `$random(seed)`: the same seed always gives
    /// the same number in `[0, 1)`. The default is `java.util.Random(seed).nextDouble()`
    /// (how AWS derives it is not documented).
    fn seeded_random(&self, seed: i64) -> f64 {
        java_random_next_double(seed)
    }

    /// A version 4 UUID (Step Functions' `$uuid()`). The default derives it from
    /// [`Host::random`].
    fn uuid(&self) -> String {
        let mut bytes = [0u8; 16];
        for chunk in bytes.chunks_mut(4) {
            let r = (self.random() * 4_294_967_296.0) as u64 as u32;
            chunk.copy_from_slice(&r.to_be_bytes()[..chunk.len()]);
        }
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
    }
}

/// `new java.util.Random(seed).nextDouble()`.
pub fn java_random_next_double(seed: i64) -> f64 {
    const MULT: i64 = 0x5_DEEC_E66D;
    const MASK: i64 = (1 << 48) - 1;
    let mut s = (seed ^ MULT) & MASK;
    let mut next = |bits: u32| -> i64 {
        s = (s.wrapping_mul(MULT).wrapping_add(0xB)) & MASK;
        s >> (48 - bits)
    };
    let hi = next(26);
    let lo = next(27);
    ((hi << 27) + lo) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The system clock and a thread-local pseudo-random generator.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemHost;

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

impl Host for SystemHost {
    fn now_millis(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    }

    fn random(&self) -> f64 {
        RNG.with(|state| {
            let mut x = state.get();
            if x == 0 {
                let nanos = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0x9E37_79B9_7F4A_7C15);
                x = nanos ^ (state as *const _ as u64).rotate_left(32) | 1;
            }
            // xorshift64*
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            state.set(x);
            let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
            (r >> 11) as f64 / (1u64 << 53) as f64
        })
    }
}

static SYSTEM_HOST: SystemHost = SystemHost;

/// Default limit on the nesting of evaluation (see [`Env::with_max_depth`]).
pub const DEFAULT_MAX_DEPTH: usize = 100_000;

/// Default native stack budget of an evaluation, in bytes (see [`Env::with_max_stack`]).
pub const DEFAULT_MAX_STACK: usize = 1 << 20;

/// What an expression is evaluated in: variable bindings, whether the Step
/// Functions functions are available, the [`Host`], and resource limits.
///
/// ```
/// use serde_json::json;
/// use stepcraft_jsonata::{Env, Expression};
///
/// let states = json!({"input": {"n": 2}});
/// let env = Env::step_functions().bind("states", &states);
/// let e = Expression::parse("$states.input.n * 21").unwrap();
/// assert_eq!(e.evaluate(&json!(null), &env).unwrap(), Some(json!(42)));
/// ```
#[derive(Clone)]
pub struct Env<'a> {
    vars: Vec<(&'a str, &'a Value)>,
    step_functions: bool,
    host: &'a dyn Host,
    max_depth: usize,
    max_stack: usize,
    max_steps: Option<u64>,
}

impl fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("vars", &self.vars.iter().map(|(n, _)| *n).collect::<Vec<_>>())
            .field("step_functions", &self.step_functions)
            .field("max_depth", &self.max_depth)
            .field("max_stack", &self.max_stack)
            .field("max_steps", &self.max_steps)
            .finish()
    }
}

impl Default for Env<'_> {
    fn default() -> Self {
        Env::new()
    }
}

impl<'a> Env<'a> {
    /// Plain JSONata 2.0.6: no bindings, the standard library only, the system
    /// clock and random generator.
    pub fn new() -> Self {
        Env {
            vars: Vec::new(),
            step_functions: false,
            host: &SYSTEM_HOST,
            max_depth: DEFAULT_MAX_DEPTH,
            max_stack: DEFAULT_MAX_STACK,
            max_steps: None,
        }
    }

    /// JSONata as Step Functions runs it: `$partition`, `$range`, `$hash`,
    /// `$random([seed])`, `$uuid`, `$parse` are available and `$eval` is not.
    pub fn step_functions() -> Self {
        Env { step_functions: true, ..Env::new() }
    }

    /// Binds the variable `$name` (give the name without the `$`). A later
    /// binding of the same name replaces the earlier one.
    pub fn bind(mut self, name: &'a str, value: &'a Value) -> Self {
        self.set(name, value);
        self
    }

    /// Like [`Env::bind`], in place.
    pub fn set(&mut self, name: &'a str, value: &'a Value) {
        if let Some(slot) = self.vars.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
        } else {
            self.vars.push((name, value));
        }
    }

    /// Uses `host` for the clock and randomness.
    pub fn with_host(mut self, host: &'a dyn Host) -> Self {
        self.host = host;
        self
    }

    /// Enables or disables the Step Functions functions.
    pub fn with_step_functions(mut self, enabled: bool) -> Self {
        self.step_functions = enabled;
        self
    }

    /// Limits the nesting depth of evaluation (default [`DEFAULT_MAX_DEPTH`]);
    /// deeper recursion fails with `U1001` ("Stack overflow error").
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Limits the native stack an evaluation may use, in bytes (default
    /// [`DEFAULT_MAX_STACK`], 1 MiB, safe on any thread with the usual 2 MiB
    /// stack); recursion beyond it fails with `U1001` instead of overflowing
    /// the stack. Raise it only on threads with a larger stack.
    pub fn with_max_stack(mut self, bytes: usize) -> Self {
        self.max_stack = bytes;
        self
    }

    /// Limits the number of evaluation steps (expression nodes visited); an
    /// evaluation that exceeds it fails with `U1001` ("Expression evaluation
    /// timeout"). Unlimited by default.
    pub fn with_max_steps(mut self, steps: u64) -> Self {
        self.max_steps = Some(steps);
        self
    }

    pub(crate) fn binding(&self, name: &str) -> Option<&'a Value> {
        self.vars.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    pub(crate) fn step_functions_enabled(&self) -> bool {
        self.step_functions
    }

    pub(crate) fn host(&self) -> &'a dyn Host {
        self.host
    }

    pub(crate) fn max_depth(&self) -> usize {
        self.max_depth
    }

    pub(crate) fn max_stack(&self) -> usize {
        self.max_stack
    }

    pub(crate) fn max_steps(&self) -> Option<u64> {
        self.max_steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_random_matches_reference() {
        // new java.util.Random(42).nextDouble() == 0.7275636800328681
        assert_eq!(java_random_next_double(42), 0.7275636800328681);
        assert_eq!(java_random_next_double(0), 0.730967787376657);
    }
}
