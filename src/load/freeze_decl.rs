//! `freeze "prod" from=… until=… reason=…` in snapset.kdl: a window in
//! which an environment takes no new pin (a year-end freeze), unless the pin
//! carries a reviewed `hotfix`.

use crate::error::sources::Spanned;
use crate::error::{Error, ErrorKind, Result};

use super::kdl::{Node, check_dns_label};
use super::when::Timestamp;

#[derive(Debug)]
pub struct FreezeDecl {
    pub env: Spanned<String>,
    pub from: Spanned<Timestamp>,
    /// The first moment after the window: a pin taken at `until` is free.
    pub until: Spanned<Timestamp>,
    pub reason: Spanned<String>,
    /// The whole node, where messages point.
    pub loc: crate::error::sources::Loc,
}

impl FreezeDecl {
    pub fn decode(node: &Node) -> Result<FreezeDecl> {
        node.expect(1, &["from", "until", "reason"], false)?;
        let env = node.arg_string(0)?;
        check_dns_label("environment", &env)?;
        let from = timestamp(node, "from")?;
        let until = timestamp(node, "until")?;
        if until.value <= from.value {
            return Err(Error::at(
                ErrorKind::Invalid {
                    what: "freeze window".into(),
                    expected: "`until=` later than `from=`".into(),
                },
                &until.loc,
                "not after `from=`",
            ));
        }
        Ok(FreezeDecl {
            env,
            from,
            until,
            reason: reason(node)?,
            loc: node.loc(),
        })
    }
}

fn timestamp(node: &Node, name: &str) -> Result<Spanned<Timestamp>> {
    let text = node.required_string(name)?;
    match Timestamp::parse(&text) {
        Some(t) => Ok(Spanned::new(t, text.loc)),
        None => Err(Error::at(
            ErrorKind::Invalid {
                what: format!("`{name}=` of `{}`", node.name()),
                expected: "a moment with its zone, such as \"2026-12-20T00:00Z\" or \"2026-12-20T09:00+01:00\" (or a day, \"2026-12-20\", midnight UTC)".into(),
            },
            &text.loc,
            "not a moment",
        )),
    }
}

/// `reason="…"`: required and with something visible in it (spaces and
/// invisible characters alone are blank), since it is what every message
/// about the freeze or the rejection quotes.
pub(super) fn reason(node: &Node) -> Result<Spanned<String>> {
    let reason = node.required_string("reason")?;
    if crate::text::blank::is_blank(&reason) {
        return Err(Error::at(
            ErrorKind::Invalid {
                what: format!("`reason=` of `{}`", node.name()),
                expected: "a few words saying why".into(),
            },
            &reason.loc,
            "blank",
        ));
    }
    Ok(reason)
}
