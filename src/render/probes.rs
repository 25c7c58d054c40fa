//! The built-in Deployment's HTTP probes (`readiness-path`, `liveness-path`)
//! target the container port named `http`, which only a service with a
//! `port` declares. A probe on a port the container does not have never
//! succeeds: the pod is never ready, or is restarted forever. So a probe
//! asked for a service without a port is an error at the varset line that
//! asked, not a probe left out in silence (the team asked for one; a
//! worker that needs none says so with `readiness-path null`).

use crate::error::{Error, ErrorKind, Result};
use crate::resolve::{Origin, ResolvedService, VarEntry};

/// The variables that make the built-in Deployment write a probe.
const PROBES: [&str; 2] = ["readiness-path", "liveness-path"];

/// An error when the built-in Deployment of `service` would probe a port
/// the service does not have (reported once, whichever environments and
/// tracks reach the same line).
pub fn check(service: &ResolvedService) -> Result<()> {
    if service.port.is_some() {
        return Ok(());
    }
    let mut errors = Vec::new();
    for track in &service.tracks {
        let settings = service.settings_of(track);
        for var in PROBES {
            let Some(setting) = settings.vars.setting(var) else {
                continue;
            };
            if setting.value == VarEntry::Removed {
                continue;
            }
            let error = Error::new(ErrorKind::ProbeWithoutPort {
                service: service.name.clone(),
                var: var.to_string(),
            });
            errors.push(match &setting.origin {
                Origin::At(loc) => error.label(loc, "asks for an HTTP probe"),
                Origin::Default => error,
            });
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(Error::many(errors)),
    }
}
