//! Error shaping: every variant kind renders as mmrpc.md says, and traces record creation and
//! conversion sites.

use super::*;
use serde_json::json;

#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
enum Inner {
    #[error("Rate Limit attempts left: {0}")]
    NbAttemptsLeft(u32),
}

#[derive(Debug, Serialize, thiserror::Error)]
#[serde(tag = "error_type", content = "error_data")]
enum Shapes {
    #[error("No such method")]
    Unit,
    #[error("newtype {0}")]
    Newtype(String),
    #[error("tuple {0} {1}")]
    Tuple(u32, String),
    #[error("struct {name} {count}")]
    Struct { name: String, count: u64 },
    #[error("Userpass is invalid! - {0}")]
    Nested(Inner),
}

impl RpcError for Shapes {
    fn status(&self) -> StatusCode {
        match self {
            Shapes::Unit | Shapes::Newtype(_) => StatusCode::BAD_REQUEST,
            Shapes::Tuple(..) | Shapes::Struct { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            Shapes::Nested(_) => StatusCode::FORBIDDEN,
        }
    }
}

fn wire(e: Shapes) -> WireError {
    WireError::from(MmError::new(e))
}

#[test]
fn unit_variant_has_no_error_data() {
    let w = wire(Shapes::Unit);
    assert_eq!(w.error_type(), "Unit");
    assert_eq!(w.error_data(), None);
    assert_eq!(w.error_data_json(), None);
    assert_eq!(w.message(), "No such method");
    assert_eq!(w.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn newtype_variant_gives_inner_value() {
    let w = wire(Shapes::Newtype("abc".into()));
    assert_eq!(w.error_type(), "Newtype");
    assert_eq!(w.error_data(), Some(&json!("abc")));
    assert_eq!(w.message(), "newtype abc");
}

#[test]
fn tuple_variant_gives_array() {
    let w = wire(Shapes::Tuple(7, "x".into()));
    assert_eq!(w.error_type(), "Tuple");
    assert_eq!(w.error_data(), Some(&json!([7, "x"])));
    assert_eq!(w.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[test]
fn struct_variant_gives_object() {
    let w = wire(Shapes::Struct {
        name: "n".into(),
        count: 3,
    });
    assert_eq!(w.error_type(), "Struct");
    assert_eq!(w.error_data(), Some(&json!({"name": "n", "count": 3})));
    // Declared order, not sorted.
    assert_eq!(w.error_data_json(), Some(r#"{"name":"n","count":3}"#));
}

#[test]
fn nested_enum_is_tagged_inside() {
    let w = wire(Shapes::Nested(Inner::NbAttemptsLeft(9)));
    assert_eq!(w.error_type(), "Nested");
    assert_eq!(
        w.error_data(),
        Some(&json!({"error_type": "NbAttemptsLeft", "error_data": 9}))
    );
    assert_eq!(
        w.error_data_json(),
        Some(r#"{"error_type":"NbAttemptsLeft","error_data":9}"#)
    );
    assert_eq!(
        w.message(),
        "Userpass is invalid! - Rate Limit attempts left: 9"
    );
    assert_eq!(w.status(), StatusCode::FORBIDDEN);
}

#[test]
fn creation_site_is_the_trace() {
    let line = line!() + 1;
    let err = MmError::new(Shapes::Unit);
    assert_eq!(err.trace(), format!("error_tests:{line}]"));
    assert_eq!(err.path(), "error_tests");
}

#[derive(Debug)]
struct Other(Shapes);

impl From<Shapes> for Other {
    fn from(s: Shapes) -> Self {
        Other(s)
    }
}

const CREATE_LINE: u32 = line!() + 2;
fn create() -> MmResult<(), Shapes> {
    MmError::err(Shapes::Unit)
}

#[test]
fn conversions_are_added_newest_first_and_path_collapses_repeats() {
    let created = CREATE_LINE;
    let converted = line!() + 1;
    let err: MmError<Other> = create().map_mm_err().unwrap_err();
    assert_eq!(
        err.trace(),
        format!("error_tests:{converted}] error_tests:{created}]")
    );
    // Both entries are in this file: the path names it once.
    assert_eq!(err.path(), "error_tests");
    let again = line!() + 1;
    let err = Err::<(), _>(err).mm_err(|o| o.0).unwrap_err();
    assert!(err.trace().starts_with(&format!("error_tests:{again}] ")));
    assert_eq!(err.trace().split(' ').count(), 3);
}

#[test]
fn question_mark_records_its_line() {
    fn fails() -> MmResult<(), Shapes> {
        let plain: Result<(), Shapes> = Err(Shapes::Unit);
        plain?;
        Ok(())
    }
    let err = fails().unwrap_err();
    assert!(err.trace().starts_with("error_tests:"));
    assert_eq!(err.trail.len(), 1);
}

#[test]
fn map_to_mm_records_the_call_site() {
    let line = line!() + 1;
    let err = Err::<(), u8>(1).map_to_mm(|_| Shapes::Unit).unwrap_err();
    assert_eq!(err.trace(), format!("error_tests:{line}]"));
}

#[test]
fn file_stem_strips_dirs_and_extension() {
    assert_eq!(file_stem("src/rpc/dispatcher.rs"), "dispatcher");
    assert_eq!(file_stem("C:\\x\\lightning.rs"), "lightning");
    assert_eq!(file_stem("plain"), "plain");
}

#[derive(Serialize, thiserror::Error, Debug)]
#[error("untagged")]
struct Untagged {
    x: u8,
}

impl RpcError for Untagged {
    fn status(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

#[test]
fn an_unshaped_error_still_renders() {
    let w = WireError::from(MmError::new(Untagged { x: 1 }));
    assert_eq!(w.error_type(), UNSHAPED_ERROR_TYPE);
    assert_eq!(w.message(), "untagged");
}
