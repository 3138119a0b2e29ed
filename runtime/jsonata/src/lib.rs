//! JSONata evaluator (work in progress).
