//! The `snapset` binary: everything lives in the library so that tests and
//! benchmarks drive the same code; `run` owns printing and exit codes.

// glibc's per-thread heaps grow a page range at a time (thousands of
// mprotect calls in a large render: a third of its time); mimalloc maps
// memory in large segments.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    no_huge_pages();
    std::process::exit(snapset::cli::crash::guard(snapset::run));
}

/// Transparent huge pages off for this process (and what it starts).
/// mimalloc asks the kernel for them on its 1 GiB arena, and each 2 MiB
/// page then stays resident whole once touched: at 1,000 services × 3
/// environments that was a third of the peak memory (`check` 80 → 53 MB,
/// `diff` with every commit moved 150 → 114 MB), for a `check` some 15 %
/// slower to fault its memory in 4 KiB pages.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE reads no memory of ours; an
    // old kernel refuses it, and then nothing changes.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
