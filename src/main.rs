//! The `snapset` binary: everything lives in the library so that tests and
//! benchmarks drive the same code; `run` owns printing and exit codes.

// glibc's per-thread heaps grow a page range at a time (thousands of
// mprotect calls in a large render: a third of its time); mimalloc maps
// memory in large segments.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(snapset::crash::guard(snapset::run));
}
