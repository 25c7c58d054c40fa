//! The standard shop plus a second repository, `billing.git`, beside it:
//! one service, `invoice`, that is the whole repository (`path="."`). Its
//! commits come from a second `GitFixture`, so their hashes are fixed too.
#![allow(dead_code)]

use super::git_fixture::GitFixture;
use super::workspace::{Shop, TestWorkspace};

pub struct TwoRepos {
    pub ws: TestWorkspace,
    pub shop: Shop,
    pub billing: GitFixture,
    /// invoice's commits, oldest first.
    pub invoice: Vec<String>,
}

impl TwoRepos {
    /// snapset.kdl declares `repo "billing" path="../billing.git"` and
    /// `service "invoice" repo="billing" path="."`; snapshot s1 pins
    /// invoice at its first commit (of three).
    pub fn new() -> TwoRepos {
        let (ws, shop) = TestWorkspace::shop();
        let dir = ws
            .root
            .parent()
            .expect("ws has a parent")
            .join("billing.git");
        let mut billing = GitFixture::init_bare(&dir);
        let invoice = (1..=3)
            .map(|n| {
                billing.commit(
                    &format!("invoice: change {n}"),
                    &[("main.go", &format!("package invoice // {n}\n"))],
                )
            })
            .collect::<Vec<_>>();
        let config = ws.read("snapset.kdl").replace(
            "repo \"../shop.git\"\n",
            "repo \"../shop.git\"\nrepo \"billing\" path=\"../billing.git\"\n",
        );
        let config = config.replace(
            "service \"tower\" path=\"services/tower\" port=9090\n",
            "service \"tower\" path=\"services/tower\" port=9090\nservice \"invoice\" repo=\"billing\" path=\".\" port=8080\n",
        );
        ws.write("snapset.kdl", &config);
        let repos = TwoRepos {
            ws,
            shop,
            billing,
            invoice,
        };
        repos.pin_invoice(0);
        repos
    }

    /// Rewrites snapshot s1 with invoice at its commit `n` (from 0).
    pub fn pin_invoice(&self, n: usize) {
        self.write_s1(&format!(
            "    service \"invoice\" commit=\"{}\"\n",
            &self.invoice[n][..10]
        ));
    }

    /// Snapshot s1: the shop's first commits, then `extra` lines.
    pub fn write_s1(&self, extra: &str) {
        let s = &self.shop;
        self.ws.write(
            "snapshots/s1.kdl",
            &format!(
                "snapshot \"s1\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" commit=\"{}\"\n{extra}}}\n",
                &s.cart1[..10],
                &s.taxe1[..10],
                &s.tower1[..10]
            ),
        );
    }
}
