//! What only a Distributed Map does: its items read by an `ItemReader` from the object
//! store (`s3:listObjectsV2`; `s3:getObject` of JSON, JSON Lines, CSV or an S3 inventory
//! manifest; `MaxItems`), grouped by an `ItemBatcher`, run as child executions with their
//! own names, context and history, and their results written by a `ResultWriter`
//! (`manifest.json` and the `SUCCEEDED_n`/`FAILED_n`/`PENDING_n` files under
//! `Prefix/<map run id>/`). Expressions are asked of `dataflow`.

use std::io::Read;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::super::dataflow::MapInputs;
use super::super::redrive::{ProgressRef, Resume};
use super::super::{Ctx, ExecInfo, Failure, Scope, Thread, Visit};
use crate::history::Details;
use crate::map_run::{ChildExecution, MapRunRecord};
use crate::model::*;
use crate::rt::{BoxFuture, lock};
use crate::store::{ObjectStore, StoreError};

/// A Map Run: its ARN, id and the name its children's ARNs carry.
pub(in crate::exec) struct MapRun {
    pub(in crate::exec) arn: String,
    pub(in crate::exec) id: String,
    /// `StateMachineName/Label` (or the state's name).
    qualified: String,
}

impl MapRun {
    /// The ARN of the child execution `name`.
    pub(in crate::exec) fn child_arn(&self, ctx: &Ctx<'_>, name: &str) -> String {
        let o = &ctx.core.options;
        format!("arn:aws:states:{}:{}:execution:{}:{name}", o.region, o.account, self.qualified)
    }
}

fn reader_failed(msg: impl Into<String>) -> Failure {
    Failure::new("States.ItemReaderFailed", Some(msg.into()))
}

fn store_cause(e: &StoreError, what: &str) -> String {
    format!("{what}: {} (Service: Amazon S3; Error Code: {})", e.message, e.code)
}

impl<'c> Ctx<'c> {
    /// The Map Run of a Distributed Map state about to start.
    pub(in crate::exec) fn new_map_run(&self, v: &Visit<'_>, m: &MapState) -> MapRun {
        let id = lock(&self.rng).uuid();
        let o = &self.core.options;
        let qualified = format!("{}/{}", self.info.sm_name, m.label.as_deref().unwrap_or(&v.state.name));
        MapRun { arn: format!("arn:aws:states:{}:{}:mapRun:{qualified}:{id}", o.region, o.account), id, qualified }
    }

    /// Evaluates `Parameters`/`Arguments`/`BatchInput` against the state's input.
    fn sub_template(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        t: &ItemSelector,
        effective: &Value,
        input: &Value,
    ) -> Result<Value, Failure> {
        match t {
            ItemSelector::Path(p) => self.path_template(v, th, p, effective),
            ItemSelector::Ata(a) => {
                let states = self.states_value(v, input, &[], None);
                self.eval_ata(a, &states, &th.scope).map_err(|e| self.ata_failure(th, v, e))
            }
        }
    }

    /// The inputs of a Map whose items an `ItemReader` reads (AWS docs, "ItemReader
    /// (Map)"): the items from the object store, then `MaxConcurrency` and the tolerated
    /// failures, as for items from the state input.
    pub(in crate::exec) fn reader_inputs(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        m: &MapState,
        r: &ItemReader,
    ) -> Result<MapInputs, Failure> {
        let effective = match &v.state.flow {
            DataFlow::Path { input_path, .. } => self.apply_path(v, th, input_path, input.clone())?,
            DataFlow::Ata { .. } => input.clone(),
        };
        let params = match &r.parameters {
            Some(t) => self.sub_template(v, th, t, &effective, input)?,
            None => json!({}),
        };
        let max_items = match &r.max_items {
            Some(d) => Some(self.dynamic_u64(v, th, d, &effective, "MaxItems")?),
            None => None,
        };
        let items = read_items(&*self.core.options.object_store, r, &params, max_items.filter(|n| *n > 0))?;
        let max_concurrency = self.dynamic_u64(v, th, &m.max_concurrency, &effective, "MaxConcurrency")?;
        let tolerated_count = match &m.tolerated_failure_count {
            Some(d) => Some(self.dynamic_u64(v, th, d, &effective, "ToleratedFailureCount")?),
            None => None,
        };
        let tolerated_percentage = match &m.tolerated_failure_percentage {
            Some(Dynamic::Lit(x)) => Some(*x),
            Some(Dynamic::Path(p)) => {
                self.resolve_for(v, th, p, &effective, "ToleratedFailurePercentagePath")?.as_f64()
            }
            Some(Dynamic::Ata(e)) => {
                let states = self.states_value(v, input, &[], None);
                self.eval_expr(e, &states, &th.scope).map_err(|err| self.ata_failure(th, v, err))?.as_f64()
            }
            None => None,
        };
        Ok(MapInputs { effective, items, max_concurrency, tolerated_count, tolerated_percentage })
    }

    /// Groups the items (each already through `ItemSelector`) into the inputs of the
    /// child executions, `{"BatchInput": …, "Items": [...]}` (AWS docs, "ItemBatcher
    /// (Map)"), with how many items each holds.
    pub(in crate::exec) fn batches(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        effective: &Value,
        b: &ItemBatcher,
        items: Vec<Value>,
    ) -> Result<Vec<(Value, usize)>, Failure> {
        let max_items = match &b.max_items {
            Some(d) => self.dynamic_u64(v, th, d, effective, "MaxItemsPerBatch")?,
            None => 0,
        };
        let max_bytes = match &b.max_bytes {
            Some(d) => self.dynamic_u64(v, th, d, effective, "MaxInputBytesPerBatch")?,
            None => 0,
        };
        let batch_input = match &b.batch_input {
            Some(t) => Some(self.sub_template(v, th, t, effective, input)?),
            None => None,
        };
        Ok(batch(items, max_items as usize, max_bytes as usize, batch_input.as_ref()))
    }

    /// Runs one child execution of a Map Run: its own name, ARN, context object and
    /// history, the parent's clock; from where `resume` says on a redrive.
    pub(in crate::exec) async fn run_child(
        &self,
        run: &MapRun,
        name: String,
        set: &StateSet,
        input: Value,
        progress: ProgressRef,
        resume: Option<&Resume>,
    ) -> (Result<Value, Failure>, ChildExecution) {
        let o = &self.core.options;
        let info = ExecInfo {
            arn: Arc::from(run.child_arn(self, &name)),
            sm_arn: Arc::from(format!("arn:aws:states:{}:{}:stateMachine:{}", o.region, o.account, run.qualified)),
            sm_name: Arc::from(run.qualified.as_str()),
            role_arn: self.info.role_arn.clone(),
            name: Arc::from(name.as_str()),
            start_ms: self.clock.now_ms(),
            input: input.clone(),
            redrive_count: self.info.redrive_count,
            redrive_ms: self.info.redrive_ms,
        };
        let child = self.isolated(self.machine, &info);
        child.emit_with_prev(
            0,
            "ExecutionStarted",
            Details::ExecutionStarted { input: child.payload(&input), role_arn: info.role_arn.clone() },
        );
        let mut th = Thread::new(Scope::default(), 1, 0, None, progress);
        let fut: BoxFuture<'_, Result<Value, Failure>> = Box::pin(async {
            match resume {
                Some(r) => child.run_resumed(set, r, &mut th).await,
                None => child.run_set(set, input.clone(), &mut th).await,
            }
        });
        let r = fut.await;
        let prev = lock(&child.history).last().map_or(0, |e| e.id);
        match &r {
            Ok(out) => child.emit_with_prev(
                prev,
                "ExecutionSucceeded",
                Details::ExecutionSucceeded { output: child.payload(out) },
            ),
            Err(f) => child.emit_with_prev(
                prev,
                "ExecutionFailed",
                Details::ExecutionFailed { error: Some(f.error.clone()), cause: f.cause.clone() },
            ),
        };
        let history = std::mem::take(&mut *lock(&child.history));
        let record = ChildExecution {
            name,
            arn: info.arn.to_string(),
            status: if r.is_ok() { "SUCCEEDED" } else { "FAILED" },
            input,
            output: r.as_ref().ok().cloned(),
            error: r.as_ref().err().map(|f| f.error.clone()),
            cause: r.as_ref().err().and_then(|f| f.cause.clone()),
            start_ms: info.start_ms,
            stop_ms: self.clock.now_ms(),
            history,
        };
        (r, record)
    }

    /// Keeps the Map Run's record for `Executor::map_runs`.
    pub(in crate::exec) fn record_map_run(
        &self,
        v: &Visit<'_>,
        m: &MapState,
        run: &MapRun,
        children: &[ChildExecution],
    ) {
        lock(&self.core.options.map_runs.0).push(MapRunRecord {
            map_run_arn: run.arn.clone(),
            execution_arn: self.info.arn.to_string(),
            state_name: v.state.name.to_string(),
            label: m.label.clone(),
            children: children.to_vec(),
        });
    }

    /// The result of a Map with a `ResultWriter` (AWS docs, "ResultWriter (Map)"): with
    /// `Resource` and `Parameters`, the result files and `manifest.json` written under
    /// `Prefix/<map run id>/` and `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`;
    /// with only `WriterConfig`, the transformed results themselves.
    #[allow(clippy::too_many_arguments)]
    pub(in crate::exec) fn write_results(
        &self,
        v: &Visit<'_>,
        th: &mut Thread<'_>,
        input: &Value,
        effective: &Value,
        w: &ResultWriter,
        run: &MapRun,
        children: &[ChildExecution],
    ) -> Result<Value, Failure> {
        let Some(params) = &w.parameters else {
            let t = w.transformation.unwrap_or(Transformation::Compact);
            return Ok(Value::Array(transform(t, children.iter().filter(|c| c.status != "PENDING"))));
        };
        let p = self.sub_template(v, th, params, effective, input)?;
        let failed = |msg: String| Failure::new("States.ResultWriterFailed", Some(msg));
        let bucket = p
            .get("Bucket")
            .and_then(Value::as_str)
            .ok_or_else(|| failed("The ResultWriter's Parameters have no string 'Bucket'".into()))?;
        let mut prefix = p.get("Prefix").and_then(Value::as_str).unwrap_or("").to_string();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        let dir = format!("{prefix}{}/", run.id);
        let t = w.transformation.unwrap_or(Transformation::None);
        let store = &*self.core.options.object_store;
        let mut files = Map::new();
        for status in ["FAILED", "PENDING", "SUCCEEDED"] {
            let of: Vec<&ChildExecution> = children
                .iter()
                .filter(|c| match status {
                    "FAILED" => c.status == "FAILED" || c.status == "ABORTED",
                    s => c.status == s,
                })
                .collect();
            let mut listed = Vec::new();
            if !of.is_empty() {
                let values = if status == "SUCCEEDED" {
                    transform(t, of.into_iter())
                } else {
                    of.into_iter().map(record).collect()
                };
                let body = if w.json_lines {
                    values.iter().map(|x| format!("{}\n", crate::value::to_json_string(x))).collect::<String>()
                } else {
                    crate::value::to_json_string(&Value::Array(values))
                };
                let key = format!("{dir}{status}_0.json");
                store
                    .put_object(bucket, &key, body.as_bytes())
                    .map_err(|e| failed(store_cause(&e, &format!("Failed to write s3://{bucket}/{key}"))))?;
                listed.push(json!({"Key": key, "Size": body.len()}));
            }
            files.insert(status.to_string(), Value::Array(listed));
        }
        let manifest = json!({"DestinationBucket": bucket, "MapRunArn": run.arn, "ResultFiles": files});
        let key = format!("{dir}manifest.json");
        store
            .put_object(bucket, &key, crate::value::to_json_string(&manifest).as_bytes())
            .map_err(|e| failed(store_cause(&e, &format!("Failed to write s3://{bucket}/{key}"))))?;
        Ok(json!({"MapRunArn": run.arn, "ResultWriterDetails": {"Bucket": bucket, "Key": key}}))
    }
}

/// A child execution with its metadata, as a `NONE` transformation writes it.
fn record(c: &ChildExecution) -> Value {
    let text = |x: &Value| Value::String(crate::value::to_json_string(x));
    let mut m = Map::new();
    if c.status == "PENDING" {
        m.insert("Input".into(), text(&c.input));
        m.insert("InputDetails".into(), json!({"Included": true}));
        m.insert("Status".into(), json!("PENDING"));
        return Value::Object(m);
    }
    if let Some(cause) = &c.cause {
        m.insert("Cause".into(), json!(cause));
    }
    if let Some(error) = &c.error {
        m.insert("Error".into(), json!(error));
    }
    m.insert("ExecutionArn".into(), json!(c.arn));
    m.insert("Input".into(), text(&c.input));
    m.insert("InputDetails".into(), json!({"Included": true}));
    m.insert("Name".into(), json!(c.name));
    if let Some(out) = &c.output {
        m.insert("Output".into(), text(out));
        m.insert("OutputDetails".into(), json!({"Included": true}));
    }
    m.insert("RedriveCount".into(), json!(0));
    if c.status == "SUCCEEDED" {
        m.insert("RedriveStatus".into(), json!("NOT_REDRIVABLE"));
        m.insert("RedriveStatusReason".into(), json!("Execution is SUCCEEDED and cannot be redriven"));
    } else {
        m.insert("RedriveStatus".into(), json!("REDRIVABLE_BY_MAP_RUN"));
    }
    m.insert("StartDate".into(), json!(crate::time::format_timestamp(c.start_ms)));
    m.insert(
        "StateMachineArn".into(),
        json!(c.arn.replacen(":execution:", ":stateMachine:", 1).rsplit_once(':').map_or("", |(a, _)| a)),
    );
    m.insert("Status".into(), json!(c.status));
    m.insert("StopDate".into(), json!(crate::time::format_timestamp(c.stop_ms)));
    Value::Object(m)
}

/// `WriterConfig.Transformation` of the children's results; a child that did not succeed
/// is written with its metadata whatever the transformation ("If the child workflow
/// executions fail, Step Functions returns its execution result unchanged").
fn transform<'a>(t: Transformation, children: impl Iterator<Item = &'a ChildExecution>) -> Vec<Value> {
    let mut out = Vec::new();
    for c in children {
        match (&c.output, t) {
            (Some(o), Transformation::Compact) => out.push(o.clone()),
            (Some(Value::Array(a)), Transformation::Flatten) => out.extend(a.iter().cloned()),
            (Some(o), Transformation::Flatten) => out.push(o.clone()),
            _ => out.push(record(c)),
        }
    }
    out
}

/// Groups items: at most `max_items` per batch (0: no limit) and, with `max_bytes` (0: no
/// limit), as many as keep the batch's input within that many bytes of JSON. An item too
/// large for any batch goes alone into its own.
pub(in crate::exec) fn batch(
    items: Vec<Value>,
    max_items: usize,
    max_bytes: usize,
    batch_input: Option<&Value>,
) -> Vec<(Value, usize)> {
    let wrap = |items: Vec<Value>| {
        let n = items.len();
        let mut m = Map::new();
        if let Some(b) = batch_input {
            m.insert("BatchInput".into(), b.clone());
        }
        m.insert("Items".into(), Value::Array(items));
        (Value::Object(m), n)
    };
    // The size of `{"BatchInput":…,"Items":[]}`, then each item and its comma.
    let base = crate::value::to_json_string(&wrap(Vec::new()).0).len();
    let mut out = Vec::new();
    let mut cur: Vec<Value> = Vec::new();
    let mut size = base;
    for it in items {
        let len = crate::value::to_json_string(&it).len() + usize::from(!cur.is_empty());
        let full_count = max_items > 0 && cur.len() >= max_items;
        let full_size = max_bytes > 0 && !cur.is_empty() && size + len > max_bytes;
        if full_count || full_size {
            out.push(wrap(std::mem::take(&mut cur)));
            size = base;
        }
        size += crate::value::to_json_string(&it).len() + usize::from(!cur.is_empty());
        cur.push(it);
    }
    if !cur.is_empty() {
        out.push(wrap(cur));
    }
    out
}

/// Reads the items of an `ItemReader` with its evaluated parameters.
pub(in crate::exec) fn read_items(
    store: &dyn ObjectStore,
    r: &ItemReader,
    params: &Value,
    max_items: Option<u64>,
) -> Result<Vec<Value>, Failure> {
    let field = |k: &str| params.get(k).and_then(Value::as_str);
    let bucket = field("Bucket").ok_or_else(|| reader_failed("The ItemReader's parameters have no string 'Bucket'"))?;
    let limit = max_items.map_or(usize::MAX, |n| n as usize);
    if r.action == S3Read::ListObjectsV2 {
        let prefix = field("Prefix").unwrap_or("");
        let objects = store
            .list_objects(bucket, prefix)
            .map_err(|e| reader_failed(store_cause(&e, &format!("Failed to list s3://{bucket}/{prefix}"))))?;
        return Ok(objects
            .into_iter()
            .take(limit)
            .map(|o| {
                json!({"Etag": o.etag, "Key": o.key, "LastModified": o.last_modified, "Size": o.size, "StorageClass": o.storage_class})
            })
            .collect());
    }
    let key = field("Key").ok_or_else(|| reader_failed("The ItemReader's parameters have no string 'Key'"))?;
    let get = |bucket: &str, key: &str| {
        store
            .get_object(bucket, key)
            .map_err(|e| reader_failed(store_cause(&e, &format!("Failed to read s3://{bucket}/{key}"))))
    };
    let body = get(bucket, key)?;
    let text = |b: Vec<u8>, key: &str| {
        String::from_utf8(b).map_err(|_| reader_failed(format!("The object s3://{bucket}/{key} is not UTF-8 text")))
    };
    match r.input_type.unwrap_or(ReaderInput::Json) {
        ReaderInput::Json => match serde_json::from_str::<Value>(&text(body, key)?) {
            Ok(Value::Array(a)) => Ok(a.into_iter().take(limit).collect()),
            Ok(_) => Err(reader_failed(format!("The object s3://{bucket}/{key} does not hold a JSON array"))),
            Err(e) => Err(reader_failed(format!("The object s3://{bucket}/{key} is not valid JSON: {e}"))),
        },
        ReaderInput::JsonLines => {
            let t = text(body, key)?;
            let mut out = Vec::new();
            for (i, line) in t.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                if out.len() >= limit {
                    break;
                }
                out.push(serde_json::from_str(line).map_err(|e| {
                    reader_failed(format!("Line {} of s3://{bucket}/{key} is not valid JSON: {e}", i + 1))
                })?);
            }
            Ok(out)
        }
        ReaderInput::Csv => csv_items(&text(body, key)?, r.csv_delimiter, &r.csv_headers, limit)
            .map_err(|e| reader_failed(format!("s3://{bucket}/{key}: {e}"))),
        ReaderInput::Manifest => {
            let manifest: Value = serde_json::from_str(&text(body, key)?)
                .map_err(|e| reader_failed(format!("The manifest s3://{bucket}/{key} is not valid JSON: {e}")))?;
            if let Some(f) = manifest.get("fileFormat").and_then(Value::as_str)
                && f != "CSV"
            {
                return Err(reader_failed(format!(
                    "The S3 inventory is in {f} format; only CSV inventories can be read"
                )));
            }
            let schema: Vec<String> = manifest
                .get("fileSchema")
                .and_then(Value::as_str)
                .ok_or_else(|| reader_failed("The manifest has no 'fileSchema'"))?
                .split(',')
                .map(|h| h.trim().to_string())
                .collect();
            let dest = manifest
                .get("destinationBucket")
                .and_then(Value::as_str)
                .map_or(bucket, |d| d.strip_prefix("arn:aws:s3:::").unwrap_or(d));
            let mut out = Vec::new();
            for f in manifest.get("files").and_then(Value::as_array).into_iter().flatten() {
                if out.len() >= limit {
                    break;
                }
                let fkey = f
                    .get("key")
                    .and_then(Value::as_str)
                    .ok_or_else(|| reader_failed("A manifest file has no 'key'"))?;
                let raw = gunzip(get(dest, fkey)?).map_err(|e| reader_failed(format!("s3://{dest}/{fkey}: {e}")))?;
                let rows = csv_items(&text(raw, fkey)?, b',', &CsvHeaders::Given(schema.clone()), limit - out.len())
                    .map_err(|e| reader_failed(format!("s3://{dest}/{fkey}: {e}")))?;
                out.extend(rows);
            }
            Ok(out)
        }
        ReaderInput::Parquet => {
            Err(reader_failed("The local executor cannot read Apache Parquet files (InputType PARQUET)"))
        }
    }
}

/// An inventory file's bytes, gunzipped when they are gzip (S3 inventory writes
/// `.csv.gz`).
fn gunzip(body: Vec<u8>) -> Result<Vec<u8>, String> {
    if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(body.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| format!("not a valid gzip file: {e}"))?;
        Ok(out)
    } else {
        Ok(body)
    }
}

/// The rows of a CSV text (RFC 4180: quoted fields, `""` inside quotes, CRLF or LF) as
/// objects of strings keyed by the headers; empty lines are skipped. A row shorter than
/// the headers has `""` for the missing columns; a longer one is refused.
pub(in crate::exec) fn csv_items(
    text: &str,
    delim: u8,
    headers: &CsvHeaders,
    limit: usize,
) -> Result<Vec<Value>, String> {
    let mut rows = csv_rows(text, delim as char)?.into_iter();
    let headers = match headers {
        CsvHeaders::Given(h) => h.clone(),
        CsvHeaders::FirstRow => match rows.next() {
            Some(h) => h,
            None => return Ok(Vec::new()),
        },
    };
    let mut out = Vec::new();
    for (i, row) in rows.enumerate() {
        if out.len() >= limit {
            break;
        }
        if row.len() > headers.len() {
            return Err(format!("row {} has {} fields but there are {} headers", i + 1, row.len(), headers.len()));
        }
        let mut m = Map::new();
        for (j, h) in headers.iter().enumerate() {
            m.insert(h.clone(), Value::String(row.get(j).cloned().unwrap_or_default()));
        }
        out.push(Value::Object(m));
    }
    Ok(out)
}

fn csv_rows(text: &str, delim: char) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                any = true;
            }
            c if c == delim => {
                row.push(std::mem::take(&mut field));
                any = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                if any || !field.is_empty() {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                any = false;
            }
            c => {
                field.push(c);
                any = true;
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    if any || !field.is_empty() {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_may_be_quoted_and_hold_delimiters_quotes_and_newlines() {
        let rows = csv_rows("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n\"multi\nline\",\n", ',').unwrap();
        assert_eq!(rows, [vec!["a", "b"], vec!["x, y", "say \"hi\""], vec!["multi\nline", ""]]);
        assert!(csv_rows("\"open", ',').is_err());
    }

    #[test]
    fn batches_respect_both_limits_and_carry_the_batch_input() {
        let items: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        let b = batch(items.clone(), 2, 0, Some(&json!({"k": 1})));
        assert_eq!(b.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [2, 2, 1]);
        assert_eq!(b[0].0, json!({"BatchInput": {"k": 1}, "Items": [0, 1]}));
        // `{"Items":[]}` is 12 bytes, each one-digit item 1 more plus its comma.
        let b = batch(items, 0, 17, None);
        assert_eq!(b.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [3, 2]);
        assert!(crate::value::to_json_string(&b[0].0).len() <= 17);
    }
}
