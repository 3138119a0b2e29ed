//! Test fixture: an activity that reads its invocation (`stepcraft::Invocation`) and stops its
//! work before the deadline, answering with what it did.

use serde::{Deserialize, Serialize};
use std::time::Duration;
use stepcraft::{Invocation, activity};

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Parcels {
    count: u32,
    /// How long each parcel takes to pack.
    millis_each: u64,
    /// The time kept for answering.
    margin_millis: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Packed {
    packed: u32,
    stopped_for_deadline: bool,
    request_id: Option<String>,
    trace_id: Option<String>,
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum PackError {
    #[error("nothing to pack")]
    Empty,
}

#[activity(timeout = "30s")]
async fn pack_parcels(parcels: Parcels) -> Result<Packed, PackError> {
    if parcels.count == 0 {
        return Err(PackError::Empty);
    }
    let invocation = Invocation::current();
    let margin = Duration::from_millis(parcels.margin_millis);
    let mut packed = 0;
    let mut stopped_for_deadline = false;
    while packed < parcels.count {
        if invocation.as_ref().and_then(Invocation::time_left).is_some_and(|left| left < margin) {
            stopped_for_deadline = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(parcels.millis_each)).await;
        packed += 1;
    }
    Ok(Packed {
        packed,
        stopped_for_deadline,
        request_id: invocation.as_ref().map(|i| i.request_id.clone()),
        trace_id: invocation.and_then(|i| i.trace_id),
    })
}

stepcraft::main!(pack_parcels);
