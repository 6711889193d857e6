//! The `cita` command line.

fn main() {}
