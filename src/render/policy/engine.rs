//! The Rego engine (regorus, embedded: no OPA binary, no network) and what
//! snapset asks of it: modules compiled once per run, evaluated with a
//! time limit, and every complaint of the engine turned into an error at
//! the policy's file:line. Network builtins are refused before the engine
//! sees them; the engine is also built without them (its `http` and
//! `net` features are off), so a policy cannot reach the network even
//! through a spelling this check misses.

use std::num::NonZeroU32;
use std::time::Duration;

use regorus::utils::limits::ExecutionTimerConfig;

use crate::error::sources::{Loc, Sources};
use crate::error::{Error, ErrorKind};

use super::module::Module;
use super::vm::Program;

/// Builtins that reach the network or the host, refused by name.
const REFUSED: [&str; 3] = ["http.send", "net.lookup_ip_addr", "opa.runtime"];

/// A set of modules, compiled: cloned for each evaluation thread.
#[derive(Clone)]
pub struct Rego {
    engine: regorus::Engine,
    modules: Vec<Module>,
    /// The data document set last by `eval`: changing it makes the engine
    /// prepare again, so it is set only when it differs.
    data: Option<serde_json::Value>,
}

/// Why an evaluation failed: a policy error at a place, or a limit.
pub struct Failure {
    pub loc: Option<Loc>,
    pub problem: String,
}

impl Failure {
    pub fn error(self, sources: &Sources, fallback: &str) -> Error {
        let file = self
            .loc
            .as_ref()
            .map_or(fallback.to_string(), |l| sources.get(l.file).name.clone());
        let e = Error::new(ErrorKind::PolicyBroken {
            file,
            problem: self.problem,
        });
        match &self.loc {
            Some(loc) => e.label(loc, "here"),
            None => e,
        }
    }
}

impl Rego {
    /// `modules` parsed and checked; `rules` are the rules evaluated
    /// later (each must compile).
    pub fn compile(
        modules: Vec<Module>,
        rego_v0: bool,
        sources: &Sources,
    ) -> Result<Rego, Failure> {
        for m in &modules {
            refuse_network(m, sources)?;
        }
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(rego_v0);
        engine.set_strict_builtin_errors(false);
        for (i, m) in modules.iter().enumerate() {
            engine
                .add_policy(
                    format!("m{i}"),
                    super::mend::mend(&m.text, rego_v0).into_owned(),
                )
                .map_err(|e| failure(&modules, sources, &e.to_string()))?;
        }
        let mut rego = Rego {
            engine,
            modules,
            data: None,
        };
        // Parsing is not all: unknown functions and rules are found when
        // the modules are first prepared, which an empty query does.
        rego.engine
            .eval_query("true".into(), false)
            .map_err(|e| failure(&rego.modules, sources, &e.to_string()))?;
        Ok(rego)
    }

    /// Adds a data document (`data.inventory`).
    pub fn add_data(&mut self, data: serde_json::Value) -> Result<(), String> {
        self.engine
            .add_data(regorus::Value::from(data))
            .map_err(|e| e.to_string())
    }

    /// The value of `rule` (`data.k8srequiredlabels.violation`) for
    /// `input`, as JSON; `Null` when it is undefined.
    pub fn eval(
        &mut self,
        rule: &str,
        input: serde_json::Value,
        data: Option<serde_json::Value>,
        time: Duration,
        sources: &Sources,
    ) -> Result<serde_json::Value, Failure> {
        let value = self.eval_value(
            rule,
            regorus::Value::from(input),
            data.as_ref(),
            time,
            sources,
        )?;
        json(&value)
    }

    /// `eval` of an input already made a regorus value (shared by the
    /// policies that judge the same object).
    pub fn eval_value(
        &mut self,
        rule: &str,
        input: regorus::Value,
        data: Option<&serde_json::Value>,
        time: Duration,
        sources: &Sources,
    ) -> Result<regorus::Value, Failure> {
        self.engine
            .set_execution_timer_config(ExecutionTimerConfig {
                limit: time,
                check_interval: NonZeroU32::new(64).unwrap_or(NonZeroU32::MIN),
            });
        if let Some(data) = data
            && self.data.as_ref() != Some(data)
        {
            self.engine.clear_data();
            self.engine
                .add_data(regorus::Value::from(data.clone()))
                .map_err(|e| Failure {
                    loc: None,
                    problem: e.to_string(),
                })?;
            self.data = Some(data.clone());
        }
        self.engine.set_input(input);
        self.engine.eval_rule(rule.to_string()).map_err(|e| {
            match e.downcast_ref::<regorus::LimitError>() {
                Some(regorus::LimitError::TimeLimitExceeded { .. }) => {
                    self.time_limit(sources, time)
                }
                Some(limit) => Failure {
                    loc: self.modules.first().map(|m| m.loc(sources, 1)),
                    problem: format!("evaluation stopped: {limit}"),
                },
                None => failure(&self.modules, sources, &e.to_string()),
            }
        })
    }

    /// The failure of an evaluation stopped by the time limit, in either
    /// mode of the engine.
    pub fn time_limit(&self, sources: &Sources, time: Duration) -> Failure {
        Failure {
            loc: self.modules.first().map(|m| m.loc(sources, 1)),
            problem: format!(
                "evaluation stopped: it ran longer than {} ms (the limit is policy-time={}ms; raise it with --limit policy-time=…)",
                time.as_millis(),
                time.as_millis()
            ),
        }
    }

    /// `rule` compiled for regorus's virtual machine (`vm`), when its
    /// compiler takes it.
    pub fn program(&self, rule: &str) -> Option<Program> {
        Program::compile(&self.engine, rule)
    }

    pub fn modules(&self) -> &[Module] {
        &self.modules
    }
}

/// A verdict as JSON; `Null` when the rule is undefined.
pub fn json(value: &regorus::Value) -> Result<serde_json::Value, Failure> {
    if *value == regorus::Value::Undefined {
        return Ok(serde_json::Value::Null);
    }
    serde_json::to_value(value).map_err(|e| Failure {
        loc: None,
        problem: format!("its result is not JSON: {e}"),
    })
}

/// A module that calls a network builtin, at its line.
fn refuse_network(m: &Module, sources: &Sources) -> Result<(), Failure> {
    for (i, line) in m.text.lines().enumerate() {
        let code = line.split('#').next().unwrap_or("");
        if let Some(name) = REFUSED.iter().find(|n| code.contains(*n)) {
            return Err(Failure {
                loc: Some(m.loc(sources, i + 1)),
                problem: format!(
                    "it calls `{name}`, which snapset refuses: render, check and diff never reach the network or the host"
                ),
            });
        }
    }
    Ok(())
}

/// The engine's message `--> m2:12:5 … error: text` at the file's line.
fn failure(modules: &[Module], sources: &Sources, message: &str) -> Failure {
    let place = message.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("--> m")?;
        let mut parts = rest.split(':');
        let module: usize = parts.next()?.parse().ok()?;
        let line: usize = parts.next()?.parse().ok()?;
        Some((modules.get(module)?, line))
    });
    let text = message
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message)
        .trim();
    let text = text.strip_prefix("error: ").unwrap_or(text);
    Failure {
        loc: place
            .map(|(m, line)| m.loc(sources, line))
            .or_else(|| modules.first().map(|m| m.loc(sources, 1))),
        problem: format!("its Rego does not compile or run: {text}"),
    }
}
