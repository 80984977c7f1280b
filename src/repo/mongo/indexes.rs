//! Declarative index specs (`mongo_indexes/<collection>.json`, one file per collection),
//! applied idempotently at start-up: creating an index that exists with the same options is a
//! no-op.

use std::time::Duration;

use bson::{Document, doc};
use mongodb::{Database, IndexModel, options::IndexOptions};
use serde::Deserialize;

use super::spec_files::{SpecFile, SpecReadError, SpecSource};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionIndexes {
    pub collection: String,
    pub indexes: Vec<IndexSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexSpec {
    pub name: String,
    /// Ordered key fields; order matters for compound indexes.
    pub keys: Vec<IndexKey>,
    #[serde(default)]
    pub unique: bool,
    /// A TTL index whose lifetime comes from configuration, named here (`activity_retention`,
    /// `rollup_retention`).
    #[serde(default)]
    pub ttl_from: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexKey {
    pub field: String,
    pub order: i32,
}

/// Lifetimes a spec may refer to with `ttl_from`.
pub struct TtlSettings {
    pub activity_retention: Duration,
    pub rollup_retention: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum IndexSpecError {
    #[error(transparent)]
    Read(#[from] SpecReadError),
    #[error("index spec {path} is invalid: {message}")]
    Invalid { path: String, message: String },
    #[error("applying the validator of `{collection}`: {source}")]
    Validator {
        collection: String,
        source: Box<mongodb::error::Error>,
    },
    #[error("applying index `{index}` on `{collection}`: {source}")]
    Apply {
        collection: String,
        index: String,
        source: Box<mongodb::error::Error>,
    },
}

/// An index spec is named `<collection>.json`; other files beside it (`<collection>.<kind>.json`)
/// are other kinds of spec.
fn is_index_spec(name: &str) -> bool {
    name.strip_suffix(".json")
        .is_some_and(|stem| !stem.is_empty() && !stem.contains('.'))
}

/// Everything the event store is declared with: the collections' validators and indexes.
pub struct StoreSpecs {
    pub validators: Vec<super::validators::CollectionValidator>,
    pub indexes: Vec<CollectionIndexes>,
    pub ttl: TtlSettings,
}

impl StoreSpecs {
    pub fn load(source: &SpecSource, ttl: TtlSettings) -> Result<Self, IndexSpecError> {
        let files = source.files()?;
        Ok(Self {
            validators: super::validators::parse_validators(&files)?,
            indexes: parse_specs(&files)?,
            ttl,
        })
    }

    /// Validators first, so a collection they create has its validator from its first
    /// document; then the indexes. Returns how many validators and indexes were applied.
    pub async fn apply(&self, db: &Database) -> Result<usize, IndexSpecError> {
        let validators = super::validators::apply(db, &self.validators).await?;
        Ok(validators + apply_specs(db, &self.indexes, &self.ttl).await?)
    }
}

/// Checks the index specs among `files`.
pub fn parse_specs(files: &[SpecFile]) -> Result<Vec<CollectionIndexes>, IndexSpecError> {
    files
        .iter()
        .filter(|file| is_index_spec(&file.name))
        .map(|file| {
            let invalid = |message: String| IndexSpecError::Invalid {
                path: file.origin.clone(),
                message,
            };
            let spec: CollectionIndexes =
                serde_json::from_str(&file.text).map_err(|e| invalid(e.to_string()))?;
            for index in &spec.indexes {
                if index.keys.is_empty() || index.keys.iter().any(|k| k.order != 1 && k.order != -1)
                {
                    return Err(invalid(format!(
                        "index `{}` needs keys with order 1 or -1",
                        index.name
                    )));
                }
            }
            Ok(spec)
        })
        .collect()
}

fn index_model(spec: &IndexSpec, ttl: &TtlSettings) -> Result<IndexModel, String> {
    let mut keys = Document::new();
    for key in &spec.keys {
        keys.insert(key.field.clone(), key.order);
    }
    let expire_after = match spec.ttl_from.as_deref() {
        None => None,
        Some("activity_retention") => Some(ttl.activity_retention),
        Some("rollup_retention") => Some(ttl.rollup_retention),
        Some(other) => return Err(format!("unknown ttl_from `{other}`")),
    };
    let options = IndexOptions::builder()
        .name(spec.name.clone())
        .unique(spec.unique.then_some(true))
        .expire_after(expire_after)
        .build();
    Ok(IndexModel::builder().keys(keys).options(options).build())
}

/// Creates the indexes each spec lists. A TTL index whose lifetime changed in configuration
/// is updated in place with `collMod` instead of failing with an options conflict.
pub async fn apply_specs(
    db: &Database,
    specs: &[CollectionIndexes],
    ttl: &TtlSettings,
) -> Result<usize, IndexSpecError> {
    let mut applied = 0;
    for spec in specs {
        let collection = db.collection::<Document>(&spec.collection);
        for index in &spec.indexes {
            let apply_err = |source| IndexSpecError::Apply {
                collection: spec.collection.clone(),
                index: index.name.clone(),
                source: Box::new(source),
            };
            let model = index_model(index, ttl).map_err(|message| IndexSpecError::Invalid {
                path: spec.collection.clone(),
                message,
            })?;
            let expire_after = model.options.as_ref().and_then(|o| o.expire_after);
            match collection.create_index(model).await {
                Ok(_) => {}
                Err(err) if is_options_conflict(&err) && expire_after.is_some() => {
                    let seconds = expire_after.map(|d| d.as_secs() as i64).unwrap_or_default();
                    db.run_command(doc! {
                        "collMod": &spec.collection,
                        "index": { "name": &index.name, "expireAfterSeconds": seconds },
                    })
                    .await
                    .map_err(apply_err)?;
                }
                Err(err) => return Err(apply_err(err)),
            }
            applied += 1;
        }
    }
    Ok(applied)
}

fn is_options_conflict(err: &mongodb::error::Error) -> bool {
    // 85 IndexOptionsConflict, 86 IndexKeySpecsConflict.
    matches!(super::command_code(err), Some(85 | 86))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_specs_load_and_build() {
        let specs = parse_specs(&SpecSource::BuiltIn.files().unwrap()).expect("specs load");
        let names: Vec<_> = specs.iter().map(|s| s.collection.as_str()).collect();
        assert!(
            ["audit_events", "activity_events", "activity_rollups"]
                .iter()
                .all(|name| names.contains(name)),
            "{names:?}"
        );
        let ttl = TtlSettings {
            activity_retention: Duration::from_secs(86_400),
            rollup_retention: Duration::from_secs(730 * 86_400),
        };
        let ttl_indexes: Vec<_> = specs
            .iter()
            .flat_map(|s| &s.indexes)
            .map(|i| index_model(i, &ttl).expect("valid spec"))
            .filter(|m| m.options.as_ref().and_then(|o| o.expire_after).is_some())
            .collect();
        assert_eq!(
            ttl_indexes.len(),
            2,
            "one TTL index each for raw activity events and their rollups"
        );
    }

    #[test]
    fn only_collection_named_json_files_are_index_specs() {
        let file = |name: &str, text: &str| SpecFile {
            name: name.to_owned(),
            origin: name.to_owned(),
            text: text.to_owned(),
        };
        let files = [
            file("orders.json", r#"{"collection": "orders", "indexes": []}"#),
            file("orders.validator.json", r#"{"$jsonSchema": {}}"#),
            file("README.md", "not a spec"),
        ];
        let specs = parse_specs(&files).expect("only orders.json is read as an index spec");
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].collection, "orders");
        let broken = parse_specs(&[file("orders.json", "{")]).unwrap_err();
        assert!(broken.to_string().contains("orders.json"), "{broken}");
    }

    #[test]
    fn unknown_ttl_source_is_refused() {
        let spec = IndexSpec {
            name: "x".into(),
            keys: vec![IndexKey {
                field: "a".into(),
                order: 1,
            }],
            unique: false,
            ttl_from: Some("forever".into()),
        };
        let ttl = TtlSettings {
            activity_retention: Duration::from_secs(1),
            rollup_retention: Duration::from_secs(1),
        };
        assert!(index_model(&spec, &ttl).is_err());
    }
}
