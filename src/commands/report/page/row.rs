//! One line of the matrix: a service, or one track of a service that has
//! several tracks in some environment.

use super::cell::Cell;

#[derive(Debug, Clone)]
pub struct Row {
    pub service: String,
    /// The track the cells show (the single track's name for one-track rows).
    pub track: String,
    /// Whether the row is one of several tracks, so the track is shown.
    pub split: bool,
    /// One per column.
    pub cells: Vec<Cell>,
}

impl Row {
    /// Some environment differs from the one on its left.
    pub fn differs(&self) -> bool {
        self.cells.iter().any(Cell::differs)
    }

    /// Some namespace runs something else than its snapshot says.
    pub fn drifts(&self) -> bool {
        self.cells.iter().flat_map(|c| &c.live).any(|r| r.differs())
    }
}
