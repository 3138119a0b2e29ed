//! Local Step Functions executor (work in progress).
