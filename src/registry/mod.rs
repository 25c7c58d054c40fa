//! Image registries: whether the images a release pins exist, and their
//! digests. `snapset images`, `snapset lock` and `--with-image` (`bump`,
//! `canary start`: only commits whose image exists) are the only users;
//! every other command stays offline and reads digests from `snapset.lock`.

pub mod answer;
pub mod cache;
pub mod challenge;
pub mod client;
pub mod credentials;
pub mod options;
pub mod reference;
pub mod resolver;
pub mod uses;

pub use answer::Answer;
pub use cache::ImageCache;
pub use client::Client;
pub use options::Options;
pub use reference::ImageRef;
pub use uses::{ImageUse, ReleaseImage, images};
