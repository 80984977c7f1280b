//! Collection validators (`mongo_indexes/<collection>.validator.json`: a `$jsonSchema`
//! validator document), applied idempotently at start-up, before the indexes: a missing
//! collection is created with its validator, one whose validator, level or action differ
//! is changed with `collMod`, and one that already matches is left alone. Every validator is
//! `validationLevel: strict` and `validationAction: error`: a document that breaks the
//! schema is refused (121 DocumentValidationFailure), whoever writes it.

use bson::{Bson, Document, doc};
use futures::TryStreamExt;
use mongodb::Database;
use mongodb::options::{ValidationAction, ValidationLevel};

use super::command_code;
use super::indexes::IndexSpecError;
use super::spec_files::SpecFile;

const SUFFIX: &str = ".validator.json";
/// mongod's code when `create` finds the collection there (another instance won the race).
const NAMESPACE_EXISTS: i32 = 48;

/// One collection's validator, as its file states it.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionValidator {
    pub collection: String,
    pub validator: Document,
}

/// The validators among `files`, sorted by collection.
pub fn parse_validators(files: &[SpecFile]) -> Result<Vec<CollectionValidator>, IndexSpecError> {
    files
        .iter()
        .filter_map(|file| {
            let collection = file.name.strip_suffix(SUFFIX)?;
            Some((collection, file))
        })
        .filter(|(collection, _)| !collection.is_empty() && !collection.contains('.'))
        .map(|(collection, file)| {
            let invalid = |message: String| IndexSpecError::Invalid {
                path: file.origin.clone(),
                message,
            };
            let json: serde_json::Value =
                serde_json::from_str(&file.text).map_err(|e| invalid(e.to_string()))?;
            let validator = match Bson::try_from(json).map_err(|e| invalid(e.to_string()))? {
                Bson::Document(validator) if validator.keys().eq(["$jsonSchema"]) => validator,
                _ => {
                    return Err(invalid(
                        "must be one object with a `$jsonSchema`".to_owned(),
                    ));
                }
            };
            Ok(CollectionValidator {
                collection: collection.to_owned(),
                validator,
            })
        })
        .collect()
}

/// Puts each validator on its collection; returns how many collections it created or
/// changed.
pub async fn apply(
    db: &Database,
    validators: &[CollectionValidator],
) -> Result<usize, IndexSpecError> {
    let mut changed = 0;
    for wanted in validators {
        let failed = |source| IndexSpecError::Validator {
            collection: wanted.collection.clone(),
            source: Box::new(source),
        };
        let current = db
            .list_collections()
            .filter(doc! { "name": &wanted.collection })
            .await
            .map_err(failed)?
            .try_next()
            .await
            .map_err(failed)?;
        let settings = doc! {
            "validator": &wanted.validator,
            "validationLevel": "strict",
            "validationAction": "error",
        };
        match current {
            Some(spec) if in_place(&spec.options, &wanted.validator) => continue,
            Some(_) => collection_mod(db, &wanted.collection, settings).await,
            None => {
                let mut create = doc! { "create": &wanted.collection };
                create.extend(settings.clone());
                match db.run_command(create).await {
                    Err(err) if command_code(&err) == Some(NAMESPACE_EXISTS) => {
                        collection_mod(db, &wanted.collection, settings).await
                    }
                    other => other.map(|_| ()),
                }
            }
        }
        .map_err(failed)?;
        changed += 1;
    }
    Ok(changed)
}

fn in_place(options: &mongodb::options::CreateCollectionOptions, wanted: &Document) -> bool {
    options.validator.as_ref() == Some(wanted)
        && matches!(options.validation_level, Some(ValidationLevel::Strict))
        && matches!(options.validation_action, Some(ValidationAction::Error))
}

async fn collection_mod(
    db: &Database,
    collection: &str,
    settings: Document,
) -> Result<(), mongodb::error::Error> {
    let mut command = doc! { "collMod": collection };
    command.extend(settings);
    db.run_command(command).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::mongo::spec_files::SpecSource;

    #[test]
    fn the_shipped_validators_load_one_per_event_collection() {
        let files = SpecSource::BuiltIn.files().expect("built-in files");
        let validators = parse_validators(&files).expect("validators load");
        let collections: Vec<_> = validators.iter().map(|v| v.collection.as_str()).collect();
        assert_eq!(
            collections,
            [
                "activity_events",
                "activity_rollups",
                "audit_checkpoints",
                "audit_events"
            ]
        );
        for validator in &validators {
            let schema = validator.validator.get_document("$jsonSchema").unwrap();
            // Closed at the top, or in each branch of a `oneOf` (one per kind of document).
            let closed = |s: &bson::Document| s.get_bool("additionalProperties") == Ok(false);
            let branches = schema
                .get_array("oneOf")
                .map(|b| b.iter().collect::<Vec<_>>());
            assert!(
                closed(schema)
                    || branches.is_ok_and(|b| b
                        .iter()
                        .all(|branch| branch.as_document().is_some_and(closed))),
                "{}",
                validator.collection
            );
            assert!(
                schema
                    .get_array("required")
                    .unwrap()
                    .contains(&Bson::from("schema_version"))
            );
        }
    }

    #[test]
    fn a_validator_file_must_hold_one_json_schema() {
        let file = |name: &str, text: &str| SpecFile {
            name: name.to_owned(),
            origin: name.to_owned(),
            text: text.to_owned(),
        };
        assert!(
            parse_validators(&[file("orders.json", "{}")])
                .unwrap()
                .is_empty()
        );
        for bad in ["{", r#"{"bsonType": "object"}"#, "[]"] {
            let err = parse_validators(&[file("orders.validator.json", bad)]).unwrap_err();
            assert!(err.to_string().contains("orders.validator.json"), "{err}");
        }
    }
}
