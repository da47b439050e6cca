//! macros placeholder
