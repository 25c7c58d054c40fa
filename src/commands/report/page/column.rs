//! One environment of the page: what its header card says.

use super::relation::Relation;

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub snapshot: String,
    pub description: Option<String>,
    pub varset: String,
    pub namespace: String,
    /// Services in the environment's snapshot.
    pub services: usize,
    /// Services with a track that differs from the environment on the left;
    /// `None` for the first environment.
    pub differs: Option<usize>,
    /// Rows per relation to the left, in the order of [`Column::TALLY`].
    pub tally: [usize; 5],
    /// `--live`: the file read and `status`'s summary of it.
    pub live: Option<(String, String)>,
}

impl Column {
    /// The relation classes counted in `tally`, in the order the bar shows them.
    pub const TALLY: [&'static str; 5] = ["same", "ahead", "behind", "diverged", "absent"];

    pub fn count(&mut self, relation: Relation) {
        let class = relation.class();
        if let Some(i) = Self::TALLY.iter().position(|c| *c == class) {
            self.tally[i] += 1;
        }
    }
}
