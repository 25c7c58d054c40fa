//! Which commit a pin of the workspace's history names. A full hash names
//! itself. A prefix names the one commit of the service's repository it
//! matches, and nothing when it matches several: hashes can be chosen
//! (about 2^28 tries find a commit sharing a 7-digit prefix, a minute on
//! a laptop), so a commit made to share the prefix of a pin integration
//! ran for a day must not inherit that day.

use std::cell::RefCell;
use std::collections::HashMap;

use git2::Oid;

use crate::promotion::history::timeline::names as prefix_of;
use crate::resolve::Repos;

use super::judge::Names;

/// By repository and text: the commit it names alone.
type Found = HashMap<(usize, Box<str>), Option<Oid>>;

pub struct PinTexts<'r> {
    repos: &'r Repos,
    found: RefCell<Found>,
}

impl<'r> PinTexts<'r> {
    pub fn new(repos: &'r Repos) -> Self {
        PinTexts {
            repos,
            found: RefCell::new(HashMap::new()),
        }
    }
}

impl Names for PinTexts<'_> {
    fn names(&self, service: &str, text: &str, commit: Oid) -> bool {
        let hex = commit.to_string();
        if !prefix_of(text, &hex) {
            return false;
        }
        if text.len() == hex.len() {
            return true;
        }
        let Some(at) = self.repos.index(service) else {
            return false;
        };
        let mut found = self.found.borrow_mut();
        let named = found
            .entry((at, text.into()))
            .or_insert_with(|| self.repos.all()[at].resolve_pin(text).ok());
        *named == Some(commit)
    }
}
