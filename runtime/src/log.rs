//! Structured logs: one JSON object per line on stdout, carrying the invocation's `requestId`
//! (and `xrayTraceId` when Lambda sends one) on every line, the user's own lines included.
//!
//! `lambda_runtime` opens a span with those fields around each invocation; this formatter lifts
//! every enclosing span's fields to the top level of the line, so CloudWatch Logs Insights can
//! filter on `requestId` directly.

use lambda_runtime::tracing::subscriber::{
    self, EnvFilter,
    filter::LevelFilter,
    fmt::{
        FmtContext, FormatEvent, FormatFields, FormattedFields,
        format::{JsonFields, Writer},
        time::{FormatTime, SystemTime},
    },
    registry::LookupSpan,
};
use serde_json::{Map, Value};
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};

/// Installs the JSON-lines subscriber (on stdout, or stderr for the command line, whose stdout
/// is the invocation's result) (once; later calls do nothing) and a panic hook that logs
/// panics as JSON lines too.
///
/// The level comes from `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls), else
/// `RUST_LOG`, else `INFO`.
pub(crate) fn init(to_stderr: bool) {
    let directives = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_default();
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse_lossy(directives.to_ascii_lowercase());
    let installed = subscriber::fmt::Subscriber::builder()
        .with_env_filter(filter)
        .fmt_fields(JsonFields::new())
        .event_format(JsonLines)
        .with_writer(if to_stderr { Output::Stderr } else { Output::Stdout })
        .try_init()
        .is_ok();
    if installed {
        std::panic::set_hook(Box::new(|info| {
            let location = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("a non-string panic payload");
            tracing::error!(panic = message, location, "the function panicked");
        }));
    }
}

/// Formats an event as one JSON object: `timestamp`, `level`, `target`, `message`, the
/// event's fields, and the fields of every enclosing span (outermost first).
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let mut line = Map::new();
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        line.insert("timestamp".into(), Value::String(timestamp));
        line.insert("level".into(), Value::String(event.metadata().level().to_string()));
        line.insert("target".into(), Value::String(event.metadata().target().into()));
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else { continue };
                if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(fields) {
                    line.extend(fields);
                }
            }
        }
        event.record(&mut FieldsToJson(&mut line));
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

/// Where log lines go.
#[derive(Clone, Copy)]
enum Output {
    Stdout,
    Stderr,
}

/// A locked standard stream.
enum OutputLock {
    Stdout(std::io::StdoutLock<'static>),
    Stderr(std::io::StderrLock<'static>),
}

impl std::io::Write for OutputLock {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            OutputLock::Stdout(out) => out.write(buf),
            OutputLock::Stderr(err) => err.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            OutputLock::Stdout(out) => out.flush(),
            OutputLock::Stderr(err) => err.flush(),
        }
    }
}

impl<'a> subscriber::fmt::MakeWriter<'a> for Output {
    type Writer = OutputLock;
    fn make_writer(&'a self) -> OutputLock {
        match self {
            Output::Stdout => OutputLock::Stdout(std::io::stdout().lock()),
            Output::Stderr => OutputLock::Stderr(std::io::stderr().lock()),
        }
    }
}

struct FieldsToJson<'a>(&'a mut Map<String, Value>);

impl Visit for FieldsToJson<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::String(value.into()));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::Bool(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(field.name().into(), Value::String(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().into(), Value::String(format!("{value:?}")));
    }
}
