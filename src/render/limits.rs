//! How much work templates may make snapset do. A template is a program a
//! pull request can change: a string doubled forty times wants 24 GB, two
//! nested `range(100000)` loops run for hours. Each template render has a
//! fuel budget (minijinja's: about one unit per instruction and per 64
//! bytes of data it creates) and an output budget, and the templates of an
//! environment share a budget of each, so that rendering a cheap template
//! for ten thousand services is bounded too. Past a limit the render stops
//! (the output is checked as it is written, fuel as it is used) and the
//! command ends with exit 2, naming the template and the limit.
//!
//! The limits are raised on the command line (`--limit NAME=VALUE`), not in
//! snapset.kdl: the pull request that brings the template would otherwise
//! bring the limit with it. docs/templates.md#limits lists them.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::{Error, ErrorKind, Result};

/// The limits of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Fuel of one template render.
    pub template_fuel: u64,
    /// Bytes one template render may write.
    pub template_output: u64,
    /// Fuel of all the template renders of one environment.
    pub environment_fuel: u64,
    /// Bytes all the template renders of one environment may write.
    pub environment_output: u64,
    /// Milliseconds one policy evaluation may take (render/policy).
    pub policy_time: u64,
    /// Bytes policy evaluation may add to the process's memory.
    pub policy_memory: u64,
}

/// The names of the limits, as `--limit NAME=VALUE` takes them and the
/// error that meets one says them.
pub const TEMPLATE_FUEL: &str = "template-fuel";
pub const TEMPLATE_OUTPUT: &str = "template-output";
pub const ENVIRONMENT_FUEL: &str = "environment-fuel";
pub const ENVIRONMENT_OUTPUT: &str = "environment-output";
pub const POLICY_TIME: &str = "policy-time";
pub const POLICY_MEMORY: &str = "policy-memory";

/// The names `--limit` takes, in the order the docs list them.
pub const NAMES: [&str; 6] = [
    TEMPLATE_FUEL,
    TEMPLATE_OUTPUT,
    ENVIRONMENT_FUEL,
    ENVIRONMENT_OUTPUT,
    POLICY_TIME,
    POLICY_MEMORY,
];

impl Default for Limits {
    /// Far above what real templates use — a service's Deployment takes
    /// 200 to 400 fuel, an environment template over 10,000 services a few
    /// hundred thousand, the user templates of a 10,000-service environment
    /// some 12 M together and 40 MiB of output — and low enough that a
    /// template that meets one has used a few seconds and a few hundred MB:
    /// 2 M fuel pays for at most 128 MB of data, and a render runs about
    /// 5 M fuel a second.
    fn default() -> Self {
        Limits {
            template_fuel: 2_000_000,
            template_output: 16 << 20,
            environment_fuel: 40_000_000,
            environment_output: 128 << 20,
            // A policy's evaluation of one object takes microseconds.
            policy_time: 2_000,
            policy_memory: 256 << 20,
        }
    }
}

impl Limits {
    /// The defaults with each `NAME=VALUE` of `--limit` applied.
    pub fn parse(args: &[String]) -> Result<Limits> {
        let mut limits = Limits::default();
        // `--limit policy-time=5s,policy-memory=1GiB` as well as one
        // `--limit` per name.
        for arg in args.iter().flat_map(|a| a.split(',')) {
            let invalid = |expected: String| {
                Error::new(ErrorKind::Invalid {
                    what: format!("--limit {arg}"),
                    expected,
                })
            };
            let Some((name, value)) = arg.split_once('=') else {
                return Err(invalid(names_expected()));
            };
            let (slot, parsed) = match name.trim() {
                TEMPLATE_FUEL => (&mut limits.template_fuel, fuel(value)),
                ENVIRONMENT_FUEL => (&mut limits.environment_fuel, fuel(value)),
                TEMPLATE_OUTPUT => (&mut limits.template_output, size(value)),
                ENVIRONMENT_OUTPUT => (&mut limits.environment_output, size(value)),
                POLICY_TIME => (&mut limits.policy_time, millis(value)),
                POLICY_MEMORY => (&mut limits.policy_memory, size(value)),
                _ => return Err(invalid(names_expected())),
            };
            *slot = parsed.filter(|n| *n > 0).ok_or_else(|| {
                invalid(if name.trim() == POLICY_TIME {
                    "a positive duration, such as 5s or 500ms".into()
                } else if name.ends_with("fuel") {
                    "a positive number of fuel units, such as 50000000 or 50M".into()
                } else {
                    "a positive size in bytes, or with KiB, MiB or GiB, such as 64MiB".into()
                })
            })?;
        }
        Ok(limits)
    }

    pub fn get(&self, name: &str) -> u64 {
        match name {
            TEMPLATE_FUEL => self.template_fuel,
            TEMPLATE_OUTPUT => self.template_output,
            ENVIRONMENT_FUEL => self.environment_fuel,
            POLICY_TIME => self.policy_time,
            POLICY_MEMORY => self.policy_memory,
            _ => self.environment_output,
        }
    }
}

fn names_expected() -> String {
    format!("NAME=VALUE, NAME one of {}", NAMES.join(", "))
}

/// `50000000`, `50_000_000`, `50M`, `50k`, `2G`.
fn fuel(value: &str) -> Option<u64> {
    let value = value.trim().replace('_', "");
    let (digits, unit) = match value.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => value.split_at(at),
        None => (value.as_str(), ""),
    };
    let unit = match unit {
        "" => 1,
        "k" | "K" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

/// `5s`, `500ms`, `1m` in milliseconds (a bare number is seconds).
fn millis(value: &str) -> Option<u64> {
    let value = value.trim();
    let (digits, unit) = match value.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => value.split_at(at),
        None => (value, "s"),
    };
    let factor = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(factor)
}

/// `1048576`, `64KiB`, `16MiB`, `1GiB` (and `K`, `M`, `G` for the same).
fn size(value: &str) -> Option<u64> {
    let value = value.trim().replace('_', "");
    let (digits, unit) = match value.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => value.split_at(at),
        None => (value.as_str(), ""),
    };
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// `16 MiB`, `4 KiB`, `1,000 bytes`.
pub fn show_size(bytes: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", grouped(bytes >> shift));
        }
    }
    format!("{} bytes", grouped(bytes))
}

/// `10,000,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What the templates of one environment used so far, shared by the jobs
/// that render them in parallel.
#[derive(Debug, Default)]
pub struct Budget {
    fuel: AtomicU64,
    output: AtomicU64,
}

/// The budgets of every environment of a run, and whether a limit was met
/// (the jobs not yet started then stop at once: the run fails anyway).
#[derive(Debug)]
pub struct Budgets {
    pub limits: Limits,
    envs: Vec<Budget>,
    stopped: AtomicBool,
}

impl Budgets {
    pub fn new(limits: Limits, environments: usize) -> Budgets {
        Budgets {
            limits,
            envs: (0..environments).map(|_| Budget::default()).collect(),
            stopped: AtomicBool::new(false),
        }
    }

    pub fn env(&self, i: usize) -> &Budget {
        &self.envs[i]
    }

    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }

    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }
}

impl Budget {
    /// Adds `used` fuel; the limit's name when the environment's total is
    /// now past `limit`.
    pub fn charge_fuel(&self, used: u64, limit: u64) -> Option<&'static str> {
        let total = self.fuel.fetch_add(used, Ordering::Relaxed) + used;
        (total > limit).then_some(ENVIRONMENT_FUEL)
    }
}

/// The output of one template render, refused as it is written past the
/// template's or the environment's limit: a render that writes gigabytes
/// stops at the first byte too many, not after.
pub struct Capped<'b> {
    pub bytes: Vec<u8>,
    template_limit: u64,
    env: &'b AtomicU64,
    env_limit: u64,
    /// The limit met, once one is.
    pub exceeded: Option<&'static str>,
}

impl<'b> Capped<'b> {
    pub fn new(budget: &'b Budget, limits: &Limits) -> Capped<'b> {
        Capped {
            bytes: Vec::new(),
            template_limit: limits.template_output,
            env: &budget.output,
            env_limit: limits.environment_output,
            exceeded: None,
        }
    }
}

impl Write for Capped<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len() as u64;
        if self.bytes.len() as u64 + n > self.template_limit {
            self.exceeded = Some(TEMPLATE_OUTPUT);
        } else if self.env.fetch_add(n, Ordering::Relaxed) + n > self.env_limit {
            self.exceeded = Some(ENVIRONMENT_OUTPUT);
        }
        if self.exceeded.is_some() {
            return Err(std::io::Error::other("over the output limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_limits_as_written() {
        let l = Limits::parse(&[
            "template-fuel=50M".into(),
            "template-output=64MiB".into(),
            "environment-fuel=2_000_000_000".into(),
            "environment-output=1GiB".into(),
            "policy-time=500ms,policy-memory=1GiB".into(),
        ])
        .unwrap();
        assert_eq!(
            l,
            Limits {
                template_fuel: 50_000_000,
                template_output: 64 << 20,
                environment_fuel: 2_000_000_000,
                environment_output: 1 << 30,
                policy_time: 500,
                policy_memory: 1 << 30,
            }
        );
        assert_eq!(
            Limits::parse(&["policy-time=3".into()])
                .unwrap()
                .policy_time,
            3_000
        );
        for bad in [
            "speed=3",
            "policy-time=soon",
            "policy-time=0s",
            "template-fuel",
            "template-fuel=0",
            "template-output=3 parsecs",
        ] {
            assert!(Limits::parse(&[bad.into()]).is_err(), "{bad}");
        }
        assert_eq!(show_size(16 << 20), "16 MiB");
        assert_eq!(show_size(1000), "1,000 bytes");
        assert_eq!(grouped(10_000_000), "10,000,000");
    }

    #[test]
    fn output_stops_at_the_first_byte_too_many() {
        let budget = Budget::default();
        let limits = Limits {
            template_output: 10,
            environment_output: 15,
            ..Limits::default()
        };
        let mut a = Capped::new(&budget, &limits);
        assert!(a.write_all(b"0123456789").is_ok());
        assert!(a.write_all(b"x").is_err());
        assert_eq!(a.exceeded, Some("template-output"));
        let mut b = Capped::new(&budget, &limits);
        assert!(b.write_all(b"01234").is_ok());
        assert!(b.write_all(b"5").is_err());
        assert_eq!(b.exceeded, Some("environment-output"));
    }
}
