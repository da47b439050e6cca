//! EventBridge event patterns (work in progress).
