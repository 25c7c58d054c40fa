//! The `snapset` binary: everything lives in the library so that tests and
//! benchmarks drive the same code; `run` owns printing and exit codes.

fn main() {
    std::process::exit(snapset::run());
}
