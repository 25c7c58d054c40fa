//! regorus's compiled mode: a policy's rule compiled once per run into a
//! program of its virtual machine, then run per object. It is more than
//! twice as fast as the interpreter on the library's policies, which is
//! most of what `check` pays for policies on a first run.
//!
//! The interpreter stays the reference: it compiles every policy first
//! (its errors name the policy's file:line), and a rule the compiler of
//! the machine does not take (`with`, some partial object rules), or an
//! evaluation the machine fails for any reason but the time limit, is
//! evaluated by the interpreter instead, so that its verdict and its
//! errors are the interpreter's. The time limit holds the same here (the
//! machine's own timer, no instruction limit besides it), the memory limit
//! is the process's (`watchdog`), and network builtins are refused before
//! anything is compiled (`engine`).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::vm::{RegoVM, VmError};
use regorus::utils::limits::ExecutionTimerConfig;

use crate::error::sources::Sources;

use super::engine::{Failure, Rego};

/// One rule, compiled for the machine.
pub struct Program(Arc<regorus::rvm::program::Program>);

impl Program {
    /// `rule` of `engine`'s modules, or `None` when the machine's compiler
    /// does not take it (the interpreter evaluates it then).
    pub fn compile(engine: &regorus::Engine, rule: &str) -> Option<Program> {
        let mut engine = engine.clone();
        let policy = engine.compile_with_entrypoint(&rule.into()).ok()?;
        Compiler::compile_from_policy(&policy, &[rule])
            .ok()
            .map(Program)
    }
}

/// A machine with a program loaded: one per evaluation thread.
pub struct Vm {
    vm: RegoVM,
}

/// Why the machine gave no verdict.
pub enum Stop {
    /// The time limit: the run stops.
    Time,
    /// Anything else: the interpreter evaluates instead.
    Other,
}

impl Vm {
    pub fn new(program: &Program, time: Duration) -> Vm {
        let mut vm = RegoVM::new();
        vm.load_program(program.0.clone());
        vm.set_strict_builtin_errors(false);
        // The time limit is the limit; the machine's default instruction
        // budget would stop long policies the interpreter runs.
        vm.set_max_instructions(usize::MAX);
        vm.set_execution_timer_config(Some(ExecutionTimerConfig {
            limit: time,
            check_interval: NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN),
        }));
        Vm { vm }
    }

    /// Sets `data` (`data.inventory`, `data.snapset`).
    pub fn set_data(&mut self, data: regorus::Value) -> Result<(), Stop> {
        self.vm.set_data(data).map_err(|_| Stop::Other)
    }

    /// The rule's value for `input`.
    pub fn eval(&mut self, input: regorus::Value) -> Result<regorus::Value, Stop> {
        self.vm.set_input(input);
        self.vm.execute().map_err(|e| match e {
            VmError::TimeLimitExceeded { .. } => Stop::Time,
            _ => Stop::Other,
        })
    }
}

/// `rule`'s value for `input`: by the machine when there is a program and
/// it evaluates, else by the interpreter (`rego`, which holds `data` too).
/// What `policies test` runs; `check` keeps its machines between objects.
pub fn eval(
    rego: &mut Rego,
    program: Option<&Program>,
    rule: &str,
    input: regorus::Value,
    data: Option<regorus::Value>,
    time: Duration,
    sources: &Sources,
) -> Result<regorus::Value, Failure> {
    if let Some(program) = program {
        let mut vm = Vm::new(program, time);
        let verdict = match data {
            Some(data) => vm.set_data(data),
            None => Ok(()),
        }
        .and_then(|()| vm.eval(input.clone()));
        match verdict {
            Ok(v) => return Ok(v),
            Err(Stop::Time) => return Err(rego.time_limit(sources, time)),
            Err(Stop::Other) => {}
        }
    }
    rego.eval_value(rule, input, None, time, sources)
}
