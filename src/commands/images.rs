//! `snapset images`: proves that every image the release pins exists in
//! its registry, so that a pull request finds out, not the cluster at
//! ImagePullBackOff. Exit 1 lists the missing images at their snapshot line.

use std::path::Path;

use serde_json::json;

use crate::Session;
use crate::cli::{ImagesArgs, TableFormat};
use crate::error::{Error, Result};
use crate::pipeline;
use crate::registry::{Answer, Client, ImageCache, Options, ReleaseImage, uses};

pub struct ImagesCommand;

/// One image and what is known of it.
struct Found<'i> {
    image: &'i ReleaseImage,
    answer: Answer,
    cached: bool,
}

impl ImagesCommand {
    pub fn run(args: ImagesArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let (workspace, _, images) = uses::release_images(&root, &args.envs.envs, session)?;
        let mut cache = ImageCache::load(&workspace.root);
        let mut found: Vec<Option<Found>> = images
            .iter()
            .map(|image| {
                let known = cache.get(&image.image).filter(|_| !args.refresh)?;
                Some(Found {
                    image,
                    answer: Answer::Present {
                        digest: known.map(str::to_string),
                    },
                    cached: true,
                })
            })
            .collect();
        let ask: Vec<&ReleaseImage> = images
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_none())
            .map(|(i, _)| i)
            .collect();
        if !ask.is_empty() {
            let registries: Vec<String> =
                ask.iter().map(|i| i.reference.registry.clone()).collect();
            let client = Client::new(Options::from_args(&args.registry), &registries)?;
            let answers = client.each(&ask, |image| client.head(&image.reference));
            let mut errors = Vec::new();
            let mut answers = answers.into_iter();
            let mut asked = ask.iter();
            for slot in found.iter_mut() {
                if slot.is_some() {
                    continue;
                }
                let image = asked.next().expect("one asked image per empty slot");
                match answers.next().expect("one answer per asked image") {
                    Ok(answer) => {
                        if let Answer::Present { digest } = &answer {
                            cache.insert(image.image.clone(), digest.as_deref());
                        }
                        *slot = Some(Found {
                            image,
                            answer,
                            cached: false,
                        });
                    }
                    Err(e) => errors.push(e),
                }
            }
            cache.save();
            if !errors.is_empty() {
                return Err(Error::many(errors));
            }
        }
        let found: Vec<Found> = found.into_iter().flatten().collect();
        let missing = found.iter().filter(|f| f.answer == Answer::Missing).count();
        match args.format {
            TableFormat::Table => print!(
                "{}",
                crate::text::terminal::visible_lines(&table(&found, session))
            ),
            TableFormat::Json => println!(
                "{}",
                serde_json::to_string_pretty(&to_json(&found, session))
                    .expect("JSON values serialise")
            ),
        }
        Ok(if missing > 0 {
            crate::EXIT_DIFFERENT
        } else {
            crate::EXIT_OK
        })
    }
}

/// The missing images, one row per use, then a count.
fn table(found: &[Found], session: &Session) -> String {
    let mut rows = vec![[
        "ENVIRONMENT".to_string(),
        "SERVICE".into(),
        "TRACK".into(),
        "IMAGE".into(),
        "PINNED AT".into(),
    ]];
    for f in found.iter().filter(|f| f.answer == Answer::Missing) {
        for u in &f.image.uses {
            rows.push([
                u.environment.clone(),
                u.service.clone(),
                u.track.clone(),
                f.image.image.clone(),
                session.sources.position(&u.loc),
            ]);
        }
    }
    let mut out = String::new();
    let missing = found.iter().filter(|f| f.answer == Answer::Missing).count();
    let cached = found.iter().filter(|f| f.cached).count();
    if missing > 0 {
        out.push_str("missing images:\n");
        let widths: Vec<usize> = (0..5)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c == 4 {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<w$}  ", w = widths[c]));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    let from_cache = if cached > 0 {
        format!(" ({cached} known from the cache)")
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{}: {} present{from_cache}, {missing} missing\n",
        crate::text::words::count(found.len(), "image", "images"),
        found.len() - missing,
    ));
    out
}

fn to_json(found: &[Found], session: &Session) -> serde_json::Value {
    let images: Vec<serde_json::Value> = found
        .iter()
        .map(|f| {
            let (status, digest) = match &f.answer {
                Answer::Present { digest } => ("present", digest.clone()),
                Answer::Missing => ("missing", None),
            };
            let uses: Vec<serde_json::Value> = f
                .image
                .uses
                .iter()
                .map(|u| {
                    let (line, column) = session.sources.line_col(&u.loc);
                    json!({
                        "environment": u.environment,
                        "service": u.service,
                        "track": u.track,
                        "file": session.sources.get(u.loc.file).name,
                        "line": line,
                        "column": column,
                    })
                })
                .collect();
            json!({
                "image": f.image.image,
                "registry": f.image.reference.registry,
                "repository": f.image.reference.repository,
                "tag": f.image.reference.tag,
                "status": status,
                "digest": digest,
                "cached": f.cached,
                "uses": uses,
            })
        })
        .collect();
    let missing = found.iter().filter(|f| f.answer == Answer::Missing).count();
    json!({
        "images": images,
        "present": found.len() - missing,
        "missing": missing,
    })
}
