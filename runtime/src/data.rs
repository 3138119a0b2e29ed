//! How Rust data looks as JSON: the field and variant names serde gives a type, so that the
//! expressions a workflow compiles to use the names that are really in the JSON.

/// The JSON shape of a struct or enum, implemented by `#[derive(stepcraft::Data)]`, which
/// reads the same `#[serde(..)]` attributes serde does (`rename`, `rename_all`, `skip`,
/// `flatten`, `tag`, `content`, `untagged`).
///
/// A workflow needs it on every type whose fields it reads or whose values it builds.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not describe its JSON names, so a workflow cannot read or build it",
    note = "add `#[derive(stepcraft::Data)]` next to its `Serialize` and `Deserialize` derives"
)]
pub trait Data {
    /// The JSON key of the Rust field `field` (of a struct), if it is serialised.
    fn json_field(field: &str) -> Option<Field>;

    /// The value serde gives the field `field` when the JSON lacks it (`#[serde(default)]`,
    /// or `None` for an `Option`), as JSON; `None` if a missing field is an error.
    fn json_default(field: &str) -> Option<serde_json::Value> {
        let _ = field;
        None
    }

    /// How the variant `variant` (of an enum) is written.
    fn json_variant(variant: &str) -> Option<Variant> {
        let _ = variant;
        None
    }

    /// The JSON key of the field `field` of the struct variant `variant`.
    fn json_variant_field(variant: &str, field: &str) -> Option<Field> {
        let _ = (variant, field);
        None
    }
}

/// Where a Rust field lives in the JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Under this key.
    Key(&'static str),
    /// Its own fields are inlined into the parent (`#[serde(flatten)]`).
    Flattened,
}

/// How an enum variant is written in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// The variant's JSON name.
    pub name: &'static str,
    /// The enum's representation.
    pub repr: Repr,
    /// Whether the variant carries no data.
    pub unit: bool,
}

/// An enum's representation (serde's four).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr {
    /// `"Unit"` or `{"Variant": content}` (serde's default).
    External,
    /// `{"tag": "Variant", ..fields}` (`#[serde(tag = "..")]`).
    Internal {
        /// The tag's key.
        tag: &'static str,
    },
    /// `{"tag": "Variant", "content": content}` (`#[serde(tag = "..", content = "..")]`).
    Adjacent {
        /// The tag's key.
        tag: &'static str,
        /// The content's key.
        content: &'static str,
    },
    /// Just the content (`#[serde(untagged)]`): variants cannot be told apart by name.
    Untagged,
}
