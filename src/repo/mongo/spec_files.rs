//! The declarative MongoDB files of `mongo_indexes/` (one `<collection>.json` index spec per
//! collection; other kinds of spec, such as collection validators, sit beside them under
//! their own names), built into the binary like the migrations, so it runs from any
//! directory. `MONGO_INDEXES_DIR` names a folder to read them from instead, to try changed
//! specs without a rebuild.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

/// Rebuilt when the folder changes (`build.rs`).
static BUILT_IN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/mongo_indexes");

/// One spec file: its name (`audit_events.json`), where it came from (for messages) and its
/// text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecFile {
    pub name: String,
    pub origin: String,
    pub text: String,
}

/// Where the spec files are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecSource {
    BuiltIn,
    Folder(PathBuf),
}

/// A folder or file that could not be read. The reason is part of the message and not a
/// `source`, so a report that prints the whole chain says it once.
#[derive(Debug, thiserror::Error)]
#[error("reading MongoDB specs in {path}: {reason}")]
pub struct SpecReadError {
    path: String,
    reason: std::io::Error,
}

impl SpecSource {
    /// The folder override when one is configured, else the files built into the binary.
    pub fn new(folder: Option<PathBuf>) -> Self {
        folder.map_or(Self::BuiltIn, Self::Folder)
    }

    /// Every file of the folder (not its subfolders), sorted by name.
    pub fn files(&self) -> Result<Vec<SpecFile>, SpecReadError> {
        let mut files = match self {
            Self::BuiltIn => built_in_files()?,
            Self::Folder(folder) => folder_files(folder)?,
        };
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }
}

fn built_in_files() -> Result<Vec<SpecFile>, SpecReadError> {
    BUILT_IN
        .files()
        .map(|file| {
            let name = file.path().display().to_string();
            let origin = format!("mongo_indexes/{name} (built in)");
            let text = file.contents_utf8().ok_or_else(|| SpecReadError {
                path: origin.clone(),
                reason: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
            })?;
            Ok(SpecFile {
                name,
                origin,
                text: text.to_owned(),
            })
        })
        .collect()
}

fn folder_files(folder: &Path) -> Result<Vec<SpecFile>, SpecReadError> {
    let unreadable = |path: &Path| {
        let path = path.display().to_string();
        move |reason| SpecReadError { path, reason }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(unreadable(folder))? {
        let path = entry.map_err(unreadable(folder))?.path();
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(unreadable(&path))?;
        files.push(SpecFile {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            origin: path.display().to_string(),
            text,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkout_folder() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("mongo_indexes")
    }

    #[test]
    fn the_binary_carries_every_file_of_the_folder() {
        let built_in = SpecSource::BuiltIn.files().expect("built-in files");
        let on_disk = SpecSource::Folder(checkout_folder())
            .files()
            .expect("the checkout's folder");
        let contents = |files: &[SpecFile]| -> Vec<(String, String)> {
            files
                .iter()
                .map(|f| (f.name.clone(), f.text.clone()))
                .collect()
        };
        assert_eq!(contents(&built_in), contents(&on_disk));
        assert!(built_in.iter().any(|f| f.name == "audit_events.json"));
    }

    #[test]
    fn no_override_means_built_in() {
        assert_eq!(SpecSource::new(None), SpecSource::BuiltIn);
        assert_eq!(
            SpecSource::new(Some(PathBuf::from("/srv/specs"))),
            SpecSource::Folder(PathBuf::from("/srv/specs"))
        );
    }

    #[test]
    fn a_missing_folder_is_named_once_with_its_reason_once() {
        let folder = checkout_folder().join("no-such-folder");
        let err = SpecSource::Folder(folder.clone()).files().unwrap_err();
        let report = format!("{:#}", anyhow::Error::new(err).context("loading"));
        let path = folder.display().to_string();
        assert_eq!(report.matches(path.as_str()).count(), 1, "{report}");
        assert_eq!(report.matches("os error").count(), 1, "{report}");
    }
}
