//! Names: how Rust identifiers become the names Step Functions and the deployment see
//! (`charge_payment` → `ChargePayment`). Parse (activity and workflow names) and lower (state
//! names) both ask here, so neither depends on the other.
//!
//! The runtime derives deployment placeholders (`${ChargePayment}`) from the same rule;
//! `tests/tests/one_home.rs` asserts that the two agree on a table of names.

/// `charge_payment` → `ChargePayment`; `lookup-order` → `LookupOrder`; a raw identifier's
/// `r#` is dropped.
pub fn pascal(name: &str) -> String {
    name.trim_start_matches("r#")
        .split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::pascal;

    #[test]
    fn snake_and_kebab_case_become_pascal_case() {
        assert_eq!(pascal("charge_payment"), "ChargePayment");
        assert_eq!(pascal("lookup-order"), "LookupOrder");
        assert_eq!(pascal("r#type"), "Type");
        assert_eq!(pascal("__private__x"), "PrivateX");
        assert_eq!(pascal("Checkout"), "Checkout");
    }
}
