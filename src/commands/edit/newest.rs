//! The commit that `bump` and `canary start` pin: the newest commit
//! reachable from a revision that touches the service's path, passing over
//! the commits a check refuses, and saying which and why.
//!
//! Two kinds of check: `Filter`s, answered at once for each commit (the
//! place for a list of rejected commits), and, with `--with-image`, the
//! registry, asked for every service at once, in parallel: a round asks
//! about each service's current candidate; a service whose image is
//! missing moves on to its next commit for the next round. One walk of
//! each repository (`Touching`) serves every round.

use std::collections::{BTreeMap, HashMap};

use git2::Oid;

use crate::cli::WithImageArgs;
use crate::error::sources::Loc;
use crate::error::{Error, ErrorKind, Result};
use crate::git::Repo;
use crate::git::Touching;
use crate::load::Workspace;
use crate::registry::{Answer, Client, ImageCache, ImageRef, Options};
use crate::resolve::pins::short;
use crate::resolve::{CommitCache, Rejected, Repos, image_pattern, image_tag};

/// One pin to find.
pub struct Want<'a> {
    pub service: &'a str,
    /// The track the commit is for: the image pattern may name it.
    pub track: &'a str,
    pub path: &'a str,
    /// The service's repository, as an index into `Repos::all`.
    pub repo: usize,
}

/// Why a newer commit that touches the path was passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Its image is not in the registry: CI has not pushed it (yet).
    NoImage { image: String },
    /// `snapset reject` recorded it as never to be deployed again.
    Rejected { reason: String },
}

impl Skip {
    /// Why, as the report says it after the commit's subject.
    pub fn reason(&self) -> String {
        match self {
            Skip::NoImage { .. } => "no image in the registry".into(),
            Skip::Rejected { reason } => format!("rejected: {reason}"),
        }
    }
}

/// What the search found for one `Want`.
#[derive(Debug, Default)]
pub struct Found {
    /// `None`: no commit reachable from the revision touches the path, or
    /// every one looked at was passed over.
    pub commit: Option<Oid>,
    /// The newer commits passed over, newest first, with why.
    pub skipped: Vec<(Oid, Skip)>,
}

impl Found {
    /// The error when no commit was found: none touches the path, or none
    /// of those looked at has an image. `at` is the pin or service.
    pub fn not_found(
        &self,
        want: &Want,
        reference: &str,
        repo: &Repo,
        at: &Loc,
        label: &str,
    ) -> Error {
        // Passed over for want of an image, the newest first; rejected
        // commits are only passed over, not looked for.
        let without_image: Vec<&str> = self
            .skipped
            .iter()
            .filter_map(|(_, skip)| match skip {
                Skip::NoImage { image } => Some(image.as_str()),
                Skip::Rejected { .. } => None,
            })
            .collect();
        let rejected: Vec<(Oid, &str)> = self
            .skipped
            .iter()
            .filter_map(|(oid, skip)| match skip {
                Skip::Rejected { reason } => Some((*oid, reason.as_str())),
                Skip::NoImage { .. } => None,
            })
            .collect();
        let kind = match without_image.first() {
            // Every commit touching the path was passed over as rejected:
            // that is why none was found, not the path.
            None if !rejected.is_empty() => ErrorKind::AllRejected {
                service: want.service.to_string(),
                path: want.path.to_string(),
                reference: reference.to_string(),
                count: rejected.len(),
                newest: format!("{} (rejected: {})", short(rejected[0].0), rejected[0].1),
            },
            None => ErrorKind::NoTouchingCommit {
                service: want.service.to_string(),
                path: want.path.to_string(),
                reference: reference.to_string(),
                repo: repo.phrase(),
            },
            Some(image) => ErrorKind::NoImage {
                service: want.service.to_string(),
                path: want.path.to_string(),
                reference: reference.to_string(),
                looked: without_image.len(),
                image: image.to_string(),
            },
        };
        Error::at(kind, at, label)
    }

    /// `  skipped 2 newer commits:` and each with its subject and why, for
    /// the report of `bump` and `canary start`.
    pub fn skipped_lines(&self, repo: &Repo) -> Vec<String> {
        let n = self.skipped.len();
        if n == 0 {
            return Vec::new();
        }
        let mut out = vec![format!(
            "  skipped {n} newer {}:",
            if n == 1 { "commit" } else { "commits" }
        )];
        for (oid, skip) in &self.skipped {
            out.push(format!(
                "    {} {} ({})",
                short(*oid),
                repo.subject(*oid),
                skip.reason()
            ));
        }
        out
    }
}

/// A check answered from what is already known, for each candidate in
/// turn: `Some` passes the commit over. (`snapset reject`'s list is one.)
pub type Filter<'f> = Box<dyn Fn(&Want, Oid) -> Option<Skip> + 'f>;

/// How many commits without an image one pin passes over before the
/// search gives up on it: past that, the image pattern or the registry is
/// more likely wrong than CI late, and every further round is a request.
pub const MAX_WITHOUT_IMAGE: usize = 50;

/// The registry side of `--with-image`: the image pattern, how to reach
/// registries, and the image cache that `snapset images` keeps (`disk::cache_dir`).
pub struct ImageCheck<'a> {
    pub pattern: &'a str,
    pub options: Options,
    pub cache: ImageCache,
}

pub struct Search<'a> {
    repos: &'a Repos,
    reference: &'a str,
    filters: Vec<Filter<'a>>,
    images: Option<ImageCheck<'a>>,
}

/// Where one want stands during the search.
struct Cursor {
    /// Which `Touching` (by repository) and which of its paths.
    walk: usize,
    path: usize,
    /// The candidate's rank among the path's touching commits.
    n: usize,
    done: bool,
}

impl<'a> Search<'a> {
    /// The newest commit reachable from `reference` (in each repository)
    /// that touches each path.
    pub fn new(repos: &'a Repos, reference: &'a str) -> Self {
        Search {
            repos,
            reference,
            filters: Vec::new(),
            images: None,
        }
    }

    /// The search `bump` and `canary start` run: rejected commits passed
    /// over and, with `--with-image`,
    /// through the registry as `snapset images` asks it (credentials,
    /// the image cache, `--jobs`, `--insecure-registry`).
    pub fn from_args(
        ws: &'a Workspace,
        repos: &'a Repos,
        reference: &'a str,
        args: &WithImageArgs,
    ) -> Result<Self> {
        // Commits `snapset reject` recorded are passed over, so that the
        // next bump cannot undo a rollback.
        let rejected = Rejected::resolve(ws, &mut CommitCache::new(repos))?;
        let search = Search::new(repos, reference).filter(Box::new(move |want, oid| {
            rejected.find(want.service, oid).map(|r| Skip::Rejected {
                reason: r.reason.clone(),
            })
        }));
        if !args.with_image {
            return Ok(search);
        }
        Ok(search.with_images(ImageCheck {
            pattern: image_pattern(ws),
            options: Options::from_args(&args.registry),
            cache: ImageCache::load(&ws.root),
        }))
    }

    pub fn filter(mut self, filter: Filter<'a>) -> Self {
        self.filters.push(filter);
        self
    }

    /// Only commits whose image the registry has.
    pub fn with_images(mut self, images: ImageCheck<'a>) -> Self {
        self.images = Some(images);
        self
    }

    /// One `Found` per want, in order. A registry that cannot be reached,
    /// or refuses the credentials, is an error: nothing is guessed.
    pub fn find(mut self, wants: &[Want]) -> Result<Vec<Found>> {
        let mut found: Vec<Found> = wants.iter().map(|_| Found::default()).collect();
        // One walk per repository, its paths deduplicated.
        let mut repos: Vec<usize> = wants.iter().map(|w| w.repo).collect();
        repos.sort_unstable();
        repos.dedup();
        let mut walks = Vec::with_capacity(repos.len());
        let mut cursors = Vec::with_capacity(wants.len());
        let mut paths_of: Vec<BTreeMap<&str, usize>> = vec![BTreeMap::new(); repos.len()];
        for want in wants {
            let walk = repos.binary_search(&want.repo).expect("listed");
            let next = paths_of[walk].len();
            let path = *paths_of[walk].entry(want.path).or_insert(next);
            cursors.push(Cursor {
                walk,
                path,
                n: 0,
                done: false,
            });
        }
        for (walk, &at) in repos.iter().enumerate() {
            let repo = &self.repos.all()[at];
            let from = super::resolve_ref(repo, self.reference)?;
            let mut paths: Vec<(&str, usize)> =
                paths_of[walk].iter().map(|(p, i)| (*p, *i)).collect();
            paths.sort_by_key(|(_, i)| *i);
            let paths: Vec<&str> = paths.into_iter().map(|(p, _)| p).collect();
            walks.push(Touching::new(repo, from, &paths)?);
        }
        let mut client: Option<Client> = None;
        let result = loop {
            // Each open want's next candidate that the filters let through.
            if let Err(e) = self.advance(wants, &mut cursors, &mut walks, &mut found) {
                break Err(e);
            }
            let open: Vec<usize> = (0..wants.len()).filter(|&i| !cursors[i].done).collect();
            if open.is_empty() {
                break Ok(());
            }
            let Some(images) = &mut self.images else {
                for &i in &open {
                    let c = &mut cursors[i];
                    found[i].commit = walks[c.walk].nth(c.path, c.n);
                    c.done = true;
                }
                continue;
            };
            // This round's images, each asked once.
            let mut asked: HashMap<String, Option<bool>> = HashMap::new();
            let mut image_of = Vec::with_capacity(open.len());
            for &i in &open {
                let c = &cursors[i];
                let oid = walks[c.walk]
                    .nth(c.path, c.n)
                    .expect("advanced to a commit");
                let image = image_tag(
                    images.pattern,
                    wants[i].service,
                    wants[i].track,
                    &oid.to_string(),
                );
                let known = images.cache.get(&image).is_some();
                asked.entry(image.clone()).or_insert(known.then_some(true));
                image_of.push((i, oid, image));
            }
            let ask: Vec<(String, ImageRef)> = asked
                .iter()
                .filter(|(_, a)| a.is_none())
                .map(|(image, _)| (image.clone(), ImageRef::parse(image)))
                .collect();
            if !ask.is_empty() {
                let client = match &client {
                    Some(c) => c,
                    None => {
                        let registries = registries(images.pattern, wants);
                        match Client::new(images.options.clone(), &registries) {
                            Ok(c) => client.insert(c),
                            Err(e) => break Err(e),
                        }
                    }
                };
                let answers = client.each(&ask, |(_, image)| client.head(image));
                let mut errors = Vec::new();
                for ((name, _), answer) in ask.into_iter().zip(answers) {
                    match answer {
                        Ok(Answer::Present { digest }) => {
                            images.cache.insert(name.clone(), digest.as_deref());
                            asked.insert(name, Some(true));
                        }
                        Ok(Answer::Missing) => {
                            asked.insert(name, Some(false));
                        }
                        Err(e) => errors.push(e),
                    }
                }
                if !errors.is_empty() {
                    break Err(Error::many(errors));
                }
            }
            for (i, oid, image) in image_of {
                let c = &mut cursors[i];
                let present = asked.get(&image).copied().flatten() == Some(true);
                if present {
                    found[i].commit = Some(oid);
                    c.done = true;
                } else {
                    found[i].skipped.push((oid, Skip::NoImage { image }));
                    c.n += 1;
                    let without = found[i]
                        .skipped
                        .iter()
                        .filter(|(_, s)| matches!(s, Skip::NoImage { .. }))
                        .count();
                    if without >= MAX_WITHOUT_IMAGE {
                        c.done = true;
                    }
                }
            }
        };
        if let Some(images) = self.images.take() {
            images.cache.save();
        }
        result.map(|()| found)
    }

    /// Moves every open cursor to a commit the filters let through, or
    /// marks it done when the history has no more.
    fn advance(
        &self,
        wants: &[Want],
        cursors: &mut [Cursor],
        walks: &mut [Touching],
        found: &mut [Found],
    ) -> Result<()> {
        loop {
            let mut by_walk: Vec<Vec<(usize, usize)>> = vec![Vec::new(); walks.len()];
            for c in cursors.iter().filter(|c| !c.done) {
                by_walk[c.walk].push((c.path, c.n));
            }
            for (walk, asks) in walks.iter_mut().zip(&by_walk) {
                if !asks.is_empty() {
                    walk.reach(asks)?;
                }
            }
            let mut moved = false;
            for (i, c) in cursors.iter_mut().enumerate().filter(|(_, c)| !c.done) {
                let Some(oid) = walks[c.walk].nth(c.path, c.n) else {
                    c.done = true;
                    continue;
                };
                if let Some(skip) = self.filters.iter().find_map(|f| f(&wants[i], oid)) {
                    found[i].skipped.push((oid, skip));
                    c.n += 1;
                    moved = true;
                }
            }
            if !moved {
                return Ok(());
            }
        }
    }
}

/// Every registry the wants' images may be on, for their credentials.
fn registries(pattern: &str, wants: &[Want]) -> Vec<String> {
    let zero = "0".repeat(40);
    let mut out: Vec<String> = wants
        .iter()
        .map(|w| ImageRef::parse(&image_tag(pattern, w.service, w.track, &zero)).registry)
        .collect();
    out.sort();
    out.dedup();
    out
}
