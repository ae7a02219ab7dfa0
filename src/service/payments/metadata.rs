//! The `metadata` param: an opaque client object stored with a payment and echoed back with it
//! (LNPay's `passThru`: order ids, ticket ids and the like).
//!
//! It must be a JSON object, so clients can always add keys to it later, and it is bounded,
//! because it is stored in every payment row and returned in every list page. The node never
//! looks inside it. It is stored as compact JSON; whitespace and key order are not preserved.

use serde::Serialize;
use serde_json::Value;

/// Largest accepted metadata, in bytes of compact JSON.
pub const MAX_METADATA_BYTES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "error_type", content = "error_data")]
pub enum MetadataError {
    #[error("metadata must be a JSON object, got {found}")]
    InvalidMetadata { found: &'static str },
    #[error("metadata is {size} bytes as compact JSON, more than the limit of {limit} bytes")]
    MetadataTooLarge { size: usize, limit: usize },
}

/// Client metadata that passed the checks, held as compact JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMetadata(String);

impl ClientMetadata {
    /// Checks the param and serializes it compactly.
    pub fn from_param(value: &Value) -> Result<Self, MetadataError> {
        let found = match value {
            Value::Object(_) => None,
            Value::Null => Some("null"),
            Value::Bool(_) => Some("a boolean"),
            Value::Number(_) => Some("a number"),
            Value::String(_) => Some("a string"),
            Value::Array(_) => Some("an array"),
        };
        if let Some(found) = found {
            return Err(MetadataError::InvalidMetadata { found });
        }
        // A Value always serializes: its map keys are strings and its numbers finite.
        let compact = value.to_string();
        if compact.len() > MAX_METADATA_BYTES {
            return Err(MetadataError::MetadataTooLarge {
                size: compact.len(),
                limit: MAX_METADATA_BYTES,
            });
        }
        Ok(Self(compact))
    }

    /// Wraps metadata read back from storage, which was checked when it was written.
    pub fn from_stored(compact: String) -> Self {
        Self(compact)
    }

    /// The compact JSON text, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The metadata as a JSON value, for responses and webhooks. Stored text that no longer
    /// parses (edited by hand) is returned as a JSON string rather than dropped.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or_else(|_| Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_is_stored_compactly_and_round_trips() {
        let param: Value = serde_json::from_str(
            r#"{ "method" : "api", "ticketId": "23",
                 "nested": {"a": [1, 2]} }"#,
        )
        .unwrap();
        let metadata = ClientMetadata::from_param(&param).unwrap();
        assert!(!metadata.as_str().contains(' '), "{}", metadata.as_str());
        assert_eq!(metadata.to_value(), param);
        let stored = ClientMetadata::from_stored(metadata.as_str().to_string());
        assert_eq!(stored.to_value(), param);
    }

    #[test]
    fn empty_object_is_fine() {
        assert_eq!(
            ClientMetadata::from_param(&json!({})).unwrap().as_str(),
            "{}"
        );
    }

    #[test]
    fn non_objects_are_rejected_naming_what_was_given() {
        for (value, found) in [
            (json!([1, 2]), "an array"),
            (json!("x"), "a string"),
            (json!(5), "a number"),
            (json!(true), "a boolean"),
            (json!(null), "null"),
        ] {
            let err = ClientMetadata::from_param(&value).unwrap_err();
            assert_eq!(err, MetadataError::InvalidMetadata { found });
            assert_eq!(
                err.to_string(),
                format!("metadata must be a JSON object, got {found}")
            );
        }
    }

    #[test]
    fn size_is_bounded_on_the_compact_form() {
        // {"k":"<v>"} is 8 bytes plus the value.
        let fits = json!({"k": "v".repeat(MAX_METADATA_BYTES - 8)});
        assert_eq!(
            ClientMetadata::from_param(&fits).unwrap().as_str().len(),
            MAX_METADATA_BYTES
        );
        let too_big = json!({"k": "v".repeat(MAX_METADATA_BYTES - 7)});
        let err = ClientMetadata::from_param(&too_big).unwrap_err();
        assert_eq!(
            err,
            MetadataError::MetadataTooLarge {
                size: 4097,
                limit: 4096
            }
        );
        assert!(err.to_string().contains("4097 bytes"), "{err}");
        assert!(err.to_string().contains("4096 bytes"), "{err}");
    }

    #[test]
    fn hand_edited_stored_text_is_not_lost() {
        let stored = ClientMetadata::from_stored("{broken".to_string());
        assert_eq!(stored.to_value(), json!("{broken"));
    }
}
