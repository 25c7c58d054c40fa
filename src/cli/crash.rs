//! The last line of defence: a panic anywhere (a bug, or an input no check
//! foresaw) ends the process like any other failure — a message on stderr
//! and exit 2 — rather than Rust's exit 101 and a backtrace hint, which
//! scripts and CI read as a different kind of outcome. Panics in rayon's
//! and scoped threads reach the main thread when joined, so one
//! `catch_unwind` around the whole program sees them all.

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

use crate::error::{Error, ErrorKind};

/// Where and why the first panic happened, kept by the hook for the
/// message (the payload alone has no location).
static FIRST: Mutex<Option<String>> = Mutex::new(None);

/// Runs `program` and returns its exit code, or 2 after a panic.
pub fn guard(program: impl FnOnce() -> i32) -> i32 {
    panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        let at = info.location().map_or(String::new(), |l| {
            format!(" (at {}:{})", l.file(), l.line())
        });
        if let Ok(mut first) = FIRST.lock() {
            first.get_or_insert(format!("{what}{at}"));
        }
    }));
    // The tests' way to reach this path: nothing else should panic.
    let program = move || {
        if cfg!(debug_assertions) && std::env::var_os("SNAPSET_TEST_PANIC").is_some() {
            panic!("SNAPSET_TEST_PANIC is set");
        }
        program()
    };
    match panic::catch_unwind(AssertUnwindSafe(program)) {
        Ok(code) => code,
        Err(_) => {
            let message = FIRST
                .lock()
                .ok()
                .and_then(|mut m| m.take())
                .unwrap_or_else(|| "a panic".into());
            let error = Error::new(ErrorKind::Internal { message });
            let text = crate::cli::diagnostics::render_error(
                &error,
                &Default::default(),
                crate::cli::diagnostics::stderr_colour(),
            );
            // stderr may be the very thing that failed (a closed pipe).
            let _ = std::io::stderr().write_all(text.as_bytes());
            crate::EXIT_ERROR
        }
    }
}
