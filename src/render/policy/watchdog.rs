//! The memory limit of policy evaluation (`--limit policy-memory`). The
//! engine bounds an evaluation's time itself, but not its memory without
//! taking over the process's allocator; a policy that builds a huge array
//! in one builtin call would run the machine out of memory. So a thread
//! watches the process's resident memory while policies run, and when it
//! grows past the limit the run stops with exit 2, naming the policies
//! being evaluated. Nothing has been written yet: policies run before.

use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::error::sources::Sources;
use crate::error::{Error, ErrorKind};

use super::Policies;
use super::evaluate::PolicyId;

/// How often memory is looked at.
const EVERY: Duration = Duration::from_millis(5);

pub struct Watchdog {
    /// Per rayon thread: the policy it evaluates, plus one (0: none).
    slots: Vec<AtomicUsize>,
    constraints: usize,
    stop: AtomicBool,
}

/// Marks a thread as evaluating a policy while it lives.
pub struct Running<'w>(Option<&'w AtomicUsize>);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.0 {
            slot.store(0, Ordering::Relaxed);
        }
    }
}

/// The process's resident memory in bytes.
fn resident() -> Option<u64> {
    let mut text = String::new();
    std::fs::File::open("/proc/self/status")
        .ok()?
        .take(1 << 16)
        .read_to_string(&mut text)
        .ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib << 10)
}

impl Watchdog {
    pub fn running(&self, policy: PolicyId) -> Running<'_> {
        let id = match policy {
            PolicyId::Constraint(c) => c,
            PolicyId::Conftest(r) => self.constraints + r,
        };
        let slot = rayon::current_thread_index().and_then(|i| self.slots.get(i));
        if let Some(slot) = slot {
            slot.store(id + 1, Ordering::Relaxed);
        }
        Running(slot)
    }

    fn policy(&self, id: usize) -> PolicyId {
        match id < self.constraints {
            true => PolicyId::Constraint(id),
            false => PolicyId::Conftest(id - self.constraints),
        }
    }
}

/// Runs `f` with memory watched.
pub fn watch<R>(policies: &Policies, sources: &Sources, f: impl FnOnce(&Watchdog) -> R) -> R {
    let dog = Watchdog {
        slots: (0..rayon::current_num_threads().max(1))
            .map(|_| AtomicUsize::new(0))
            .collect(),
        constraints: policies.constraints.len(),
        stop: AtomicBool::new(false),
    };
    let Some(baseline) = resident() else {
        return f(&dog);
    };
    let limit = policies.limits.memory;
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !dog.stop.load(Ordering::Relaxed) {
                std::thread::sleep(EVERY);
                let now = resident().unwrap_or(0);
                if now.saturating_sub(baseline) > limit {
                    exceeded(&dog, policies, sources, limit);
                }
            }
        });
        let result = f(&dog);
        dog.stop.store(true, Ordering::Relaxed);
        result
    })
}

/// Reports the policies running and ends the process: their evaluation
/// cannot be interrupted from outside.
fn exceeded(dog: &Watchdog, policies: &Policies, sources: &Sources, limit: u64) -> ! {
    let mut running: Vec<usize> = dog
        .slots
        .iter()
        .map(|s| s.load(Ordering::Relaxed))
        .filter(|id| *id > 0)
        .map(|id| id - 1)
        .collect();
    running.sort_unstable();
    running.dedup();
    let files: Vec<String> = running
        .iter()
        .map(|id| policies.file_of(dog.policy(*id)))
        .collect();
    let file = match files.is_empty() {
        true => super::FOLDER.to_string(),
        false => files.join(", "),
    };
    let mut error = Error::new(ErrorKind::PolicyBroken {
        file,
        problem: format!(
            "evaluation used more than {} MiB of memory (the limit is policy-memory; raise it with --limit policy-memory=…)",
            limit >> 20
        ),
    });
    for id in &running {
        if let Some(loc) = policies.loc_of(dog.policy(*id)) {
            error = error.label(&loc, "evaluating this policy");
        }
    }
    let colour = crate::cli::diagnostics::stderr_colour();
    eprint!(
        "{}",
        crate::cli::diagnostics::render_error(&error, sources, colour)
    );
    std::process::exit(2)
}
