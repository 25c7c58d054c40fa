//! `reject "SERVICE" "COMMIT" reason="TEXT"` in snapset.kdl: a commit that
//! must never be deployed again (`snapset reject` writes it). Kept in the
//! workspace file rather than anywhere else so that the rejection is
//! reviewed, versioned and seen by every clone, like the pins it forbids.

use crate::error::Result;
use crate::error::sources::{Loc, Spanned};

use super::kdl::{Node, check_dns_label};

#[derive(Debug)]
pub struct RejectDecl {
    pub service: Spanned<String>,
    /// As written: a full hash or a prefix, resolved in the service's
    /// repository by `resolve::Rejected`.
    pub commit: Spanned<String>,
    pub reason: Spanned<String>,
    /// The whole node, where messages point.
    pub loc: Loc,
}

impl RejectDecl {
    pub fn decode(node: &Node) -> Result<RejectDecl> {
        node.expect(2, &["reason"], false)?;
        let service = node.arg_string(0)?;
        check_dns_label("service", &service)?;
        Ok(RejectDecl {
            service,
            commit: node.arg_string(1)?,
            reason: super::freeze_decl::reason(node)?,
            loc: node.loc(),
        })
    }
}
