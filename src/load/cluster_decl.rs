//! `cluster "eu-1" varset="prod-eu"` inside an environment of snapset.kdl:
//! one of the clusters the environment runs on. Its varset is layered last,
//! over the environment's, and its manifests go to `out/<env>/<cluster>/`.

use crate::error::Result;
use crate::error::sources::Spanned;

use super::kdl::{Node, check_dns_label};

#[derive(Debug, Clone)]
pub struct ClusterDecl {
    /// The folder under `out/<env>/`, and the cluster's name for the agent
    /// (Argo CD's `destination.name`, Flux's `<cluster>-kubeconfig`).
    pub name: Spanned<String>,
    pub varset: Spanned<String>,
}

impl ClusterDecl {
    pub fn decode(node: &Node) -> Result<ClusterDecl> {
        node.expect(1, &["varset"], false)?;
        let name = node.arg_string(0)?;
        check_dns_label("cluster", &name)?;
        Ok(ClusterDecl {
            name,
            varset: node.required_string("varset")?,
        })
    }
}
