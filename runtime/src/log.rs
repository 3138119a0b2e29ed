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

/// Formats an event as one JSON object: `timestamp`, `level`, `target`, the fields of every
/// enclosing span (outermost first), `message` and the event's fields. Written straight to the
/// line, with no intermediate map: this runs on every log line of every invocation.
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let meta = event.metadata();
        writer.write_str("{\"timestamp\":\"")?;
        SystemTime.format_time(&mut writer)?;
        write!(writer, "\",\"level\":\"{}\",\"target\":", meta.level())?;
        write_json_str(&mut writer, meta.target())?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else { continue };
                // `JsonFields` records a span's fields as a JSON object: splice its members.
                let members = fields.trim().strip_prefix('{').and_then(|f| f.strip_suffix('}')).unwrap_or("");
                if !members.trim().is_empty() {
                    writer.write_char(',')?;
                    writer.write_str(members)?;
                }
            }
        }
        let mut visitor = FieldsToJson { writer: &mut writer, result: Ok(()) };
        event.record(&mut visitor);
        visitor.result?;
        writer.write_str("}\n")
    }
}

/// Writes `text` as a JSON string.
fn write_json_str(out: &mut dyn fmt::Write, text: &str) -> fmt::Result {
    out.write_char('"')?;
    escape(out, text)?;
    out.write_char('"')
}

/// Writes `text` escaped for the inside of a JSON string.
fn escape(out: &mut dyn fmt::Write, text: &str) -> fmt::Result {
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.write_str(&text[start..i])?;
        if escape.is_empty() {
            write!(out, "\\u{:04x}", c as u32)?;
        } else {
            out.write_str(escape)?;
        }
        start = i + c.len_utf8();
    }
    out.write_str(&text[start..])
}

/// A `fmt::Write` that escapes what is written into it for a JSON string.
struct Escaping<'a>(&'a mut dyn fmt::Write);

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        escape(self.0, text)
    }
}

/// Writes a `Debug` value as a JSON string, without an intermediate `String`.
fn write_json_debug(out: &mut dyn fmt::Write, value: &dyn fmt::Debug) -> fmt::Result {
    out.write_char('"')?;
    fmt::Write::write_fmt(&mut Escaping(out), format_args!("{value:?}"))?;
    out.write_char('"')
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

/// Writes an event's fields as `,"name":value` members.
struct FieldsToJson<'a, 'w> {
    writer: &'a mut Writer<'w>,
    result: fmt::Result,
}

impl FieldsToJson<'_, '_> {
    fn member(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = (|| {
                self.writer.write_char(',')?;
                write_json_str(self.writer, field.name())?;
                self.writer.write_char(':')?;
                value(self.writer)
            })();
        }
    }
}

impl Visit for FieldsToJson<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.member(field, |w| write_json_str(w, value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field, |w| write!(w, "{value}"));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field, |w| write!(w, "{value}"));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field, |w| write!(w, "{value}"));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        if value.is_finite() {
            self.member(field, |w| write!(w, "{value}"));
        } else {
            self.member(field, |w| write_json_str(w, &value.to_string()));
        }
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.member(field, |w| {
            w.write_char('"')?;
            fmt::Write::write_fmt(&mut Escaping(w), format_args!("{value}"))?;
            w.write_char('"')
        });
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.member(field, |w| write_json_debug(w, value));
    }
}
