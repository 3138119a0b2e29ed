//! An S3 notification handler: the bucket notifies the function of objects created under
//! `incoming/`; the event is `aws_lambda_events`' `S3Event`, re-exported by stepcraft.

use serde::Serialize;
use stepcraft::events::S3Event;
use stepcraft::{handler, tracing};

#[derive(Debug, Serialize)]
struct Indexed {
    objects: Vec<String>,
    bytes: i64,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum UploadError {
    #[error("the notification holds no records")]
    NoRecords,
}

#[handler(s3(events = ["s3:ObjectCreated:*"], prefix = "incoming/"), memory = 256)]
async fn uploads(event: S3Event) -> Result<Indexed, UploadError> {
    if event.records.is_empty() {
        return Err(UploadError::NoRecords);
    }
    let mut indexed = Indexed { objects: Vec::new(), bytes: 0 };
    for record in event.records {
        let bucket = record.s3.bucket.name.unwrap_or_default();
        let key = record.s3.object.key.unwrap_or_default();
        indexed.bytes += record.s3.object.size.unwrap_or(0);
        tracing::info!(%bucket, %key, "indexed");
        indexed.objects.push(format!("s3://{bucket}/{key}"));
    }
    Ok(indexed)
}
