//! The machine-readable side of the output boundary: after a command, its
//! warnings and error again as GitHub workflow commands (stderr) or as a
//! GitLab Code Quality report (`--report FILE`).

/// What `--message-format` asked for, decided before the command runs.
pub struct Output {
    format: crate::cli::MessageFormat,
    prefix: String,
    report: Option<std::path::PathBuf>,
}

impl Output {
    pub fn new(cli: &crate::cli::Cli) -> crate::error::Result<Output> {
        let format = cli.message_format();
        if format == crate::cli::MessageFormat::Gitlab && cli.report.is_none() {
            return Err(crate::error::Error::new(crate::error::ErrorKind::Invalid {
                what: "--message-format gitlab".into(),
                expected: "--report FILE, the Code Quality report to write (`-` for stdout)".into(),
            }));
        }
        if format == crate::cli::MessageFormat::Json
            && !matches!(cli.command, crate::cli::Command::Check(_))
        {
            return Err(crate::error::Error::new(crate::error::ErrorKind::Invalid {
                what: "--message-format json".into(),
                expected: "`check --format json`: only check lists its findings as JSON".into(),
            }));
        }
        let prefix = match format {
            crate::cli::MessageFormat::Human => String::new(),
            _ => super::repository_prefix(cli.directory.as_deref()),
        };
        Ok(Output {
            format,
            prefix,
            report: cli.report.clone(),
        })
    }

    /// Writes the annotations of the run's warnings and error.
    pub fn finish(
        self,
        result: &crate::error::Result<i32>,
        session: &crate::Session,
    ) -> crate::error::Result<()> {
        use super::{Annotation, Severity};
        if self.format == crate::cli::MessageFormat::Human {
            return Ok(());
        }
        let mut all = Vec::new();
        for warning in &session.warnings {
            Annotation::collect(
                warning,
                Severity::Warning,
                &session.sources,
                &self.prefix,
                &mut all,
            );
        }
        if let Err(e) = result {
            Annotation::collect(e, Severity::Error, &session.sources, &self.prefix, &mut all);
        }
        if self.format == crate::cli::MessageFormat::Json {
            let mut dryrun = Vec::new();
            for note in &session.policy_dryrun {
                Annotation::collect(
                    note,
                    Severity::Warning,
                    &session.sources,
                    &self.prefix,
                    &mut dryrun,
                );
            }
            return crate::cli::diagnostics::print_stdout(&super::json::render(&all, &dryrun));
        }
        match self.format {
            // On stderr: stdout is the command's result (a markdown diff
            // for a comment), and the runner reads commands on both.
            crate::cli::MessageFormat::Github => eprint!("{}", super::github::render(&all)),
            _ => {
                let text = super::gitlab::render(&all, &format!("{}snapset.kdl", self.prefix));
                match self.report.as_deref() {
                    Some(path) if path != std::path::Path::new("-") => std::fs::write(path, text)
                        .map_err(|source| {
                        crate::error::Error::new(crate::error::ErrorKind::Write {
                            path: path.to_path_buf(),
                            source,
                        })
                    })?,
                    _ => crate::cli::diagnostics::print_stdout(&text)?,
                }
            }
        }
        Ok(())
    }
}
