//! localbus (work in progress).
fn main() {}
