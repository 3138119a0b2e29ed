//! `#[derive(stepcraft::Data)]`: reads the `#[serde(..)]` attributes serde reads (`rename`,
//! `rename_all`, `rename_all_fields`, `skip`, `flatten`, `tag`, `content`, `untagged`) and emits
//! `impl Data`, the JSON names a workflow's expressions use.

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;

/// serde's `rename_all` rules.
#[derive(Clone, Copy)]
enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl RenameRule {
    fn from_str(s: &str) -> Option<Self> {
        Some(match s {
            "lowercase" => RenameRule::Lower,
            "UPPERCASE" => RenameRule::Upper,
            "PascalCase" => RenameRule::Pascal,
            "camelCase" => RenameRule::Camel,
            "snake_case" => RenameRule::Snake,
            "SCREAMING_SNAKE_CASE" => RenameRule::ScreamingSnake,
            "kebab-case" => RenameRule::Kebab,
            "SCREAMING-KEBAB-CASE" => RenameRule::ScreamingKebab,
            _ => return None,
        })
    }

    /// serde's `apply_to_variant` (variants are PascalCase).
    fn variant(self, variant: &str) -> String {
        match self {
            RenameRule::Pascal => variant.to_owned(),
            RenameRule::Lower => variant.to_ascii_lowercase(),
            RenameRule::Upper => variant.to_ascii_uppercase(),
            RenameRule::Camel => variant[..1].to_ascii_lowercase() + &variant[1..],
            RenameRule::Snake => {
                let mut out = String::new();
                for (i, c) in variant.char_indices() {
                    if i > 0 && c.is_uppercase() {
                        out.push('_');
                    }
                    out.push(c.to_ascii_lowercase());
                }
                out
            }
            RenameRule::ScreamingSnake => RenameRule::Snake.variant(variant).to_ascii_uppercase(),
            RenameRule::Kebab => RenameRule::Snake.variant(variant).replace('_', "-"),
            RenameRule::ScreamingKebab => RenameRule::ScreamingSnake.variant(variant).replace('_', "-"),
        }
    }

    /// serde's `apply_to_field` (fields are snake_case).
    fn field(self, field: &str) -> String {
        match self {
            RenameRule::Lower | RenameRule::Snake => field.to_owned(),
            RenameRule::Upper | RenameRule::ScreamingSnake => field.to_ascii_uppercase(),
            RenameRule::Pascal => {
                let mut out = String::new();
                let mut capitalize = true;
                for c in field.chars() {
                    if c == '_' {
                        capitalize = true;
                    } else if capitalize {
                        out.push(c.to_ascii_uppercase());
                        capitalize = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
            RenameRule::Camel => {
                let pascal = RenameRule::Pascal.field(field);
                pascal[..1].to_ascii_lowercase() + &pascal[1..]
            }
            RenameRule::Kebab => field.replace('_', "-"),
            RenameRule::ScreamingKebab => RenameRule::ScreamingSnake.field(field).replace('_', "-"),
        }
    }
}

#[derive(Default)]
struct SerdeAttrs {
    rename: Option<String>,
    rename_all: Option<RenameRule>,
    rename_all_fields: Option<RenameRule>,
    tag: Option<String>,
    content: Option<String>,
    untagged: bool,
    skip: bool,
    flatten: bool,
    /// `default` (`Some(None)`) or `default = "path"` (`Some(Some(path))`).
    default: Option<Option<syn::Path>>,
}

/// Reads `#[serde(..)]`; keys stepcraft does not need are skipped (serde checks them).
fn serde_attrs(cx: &Ctxt, attrs: &[syn::Attribute]) -> SerdeAttrs {
    let mut out = SerdeAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
            match key.as_str() {
                "rename" | "rename_all" | "rename_all_fields" => {
                    let value = ser_de_value(cx, &meta, &key)?;
                    match key.as_str() {
                        "rename" => out.rename = value,
                        _ => {
                            let rule = value.as_deref().and_then(RenameRule::from_str);
                            if key == "rename_all" {
                                out.rename_all = rule;
                            } else {
                                out.rename_all_fields = rule;
                            }
                        }
                    }
                }
                "tag" => out.tag = Some(meta.value()?.parse::<syn::LitStr>()?.value()),
                "content" => out.content = Some(meta.value()?.parse::<syn::LitStr>()?.value()),
                "untagged" => out.untagged = true,
                "default" => {
                    out.default = Some(if meta.input.peek(syn::Token![=]) {
                        Some(meta.value()?.parse::<syn::LitStr>()?.parse::<syn::Path>()?)
                    } else {
                        None
                    });
                }
                "skip" | "skip_serializing" => out.skip = true,
                "flatten" => out.flatten = true,
                _ => {
                    if meta.input.peek(syn::Token![=]) {
                        meta.value()?.parse::<syn::Expr>()?;
                    } else if meta.input.peek(syn::token::Paren) {
                        let content;
                        syn::parenthesized!(content in meta.input);
                        content.parse::<TokenStream>()?;
                    }
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    out
}

/// `= "name"`, or `(serialize = "a", deserialize = "b")` with both the same.
fn ser_de_value(cx: &Ctxt, meta: &syn::meta::ParseNestedMeta<'_>, key: &str) -> syn::Result<Option<String>> {
    if meta.input.peek(syn::Token![=]) {
        return Ok(Some(meta.value()?.parse::<syn::LitStr>()?.value()));
    }
    let mut ser = None;
    let mut de = None;
    let mut span = meta.path.span();
    meta.parse_nested_meta(|inner| {
        let value = inner.value()?.parse::<syn::LitStr>()?;
        span = value.span();
        if inner.path.is_ident("serialize") {
            ser = Some(value.value());
        } else if inner.path.is_ident("deserialize") {
            de = Some(value.value());
        }
        Ok(())
    })?;
    if ser.is_some() && de.is_some() && ser != de {
        cx.error_at(
            span,
            format!(
                "a workflow reads and writes the same JSON, so `{key}` needs one name for serialising and \
                 deserialising; give `{key} = \"…\"`"
            ),
        );
    }
    Ok(ser.or(de))
}

fn unraw(ident: &syn::Ident) -> String {
    ident.to_string().trim_start_matches("r#").to_owned()
}

fn field_arms(
    cx: &Ctxt,
    fields: &syn::Fields,
    rule: Option<RenameRule>,
    private: &TokenStream,
) -> Vec<(String, TokenStream)> {
    let mut arms = Vec::new();
    if let syn::Fields::Named(named) = fields {
        for field in &named.named {
            let attrs = serde_attrs(cx, &field.attrs);
            let ident = field.ident.as_ref().expect("named");
            let rust = unraw(ident);
            if attrs.skip {
                continue;
            }
            let value = if attrs.flatten {
                quote!(#private::Field::Flattened)
            } else {
                let json = attrs.rename.unwrap_or_else(|| rule.map_or(rust.clone(), |r| r.field(&rust)));
                quote!(#private::Field::Key(#json))
            };
            arms.push((rust, value));
        }
    }
    arms
}

/// The defaults serde applies to missing fields, as JSON.
fn default_arms(cx: &Ctxt, fields: &syn::Fields, container_default: bool, private: &TokenStream) -> Vec<TokenStream> {
    let mut arms = Vec::new();
    let syn::Fields::Named(named) = fields else { return arms };
    for field in &named.named {
        let attrs = serde_attrs(cx, &field.attrs);
        if attrs.skip || attrs.flatten {
            continue;
        }
        let ident = field.ident.as_ref().expect("named");
        let rust = unraw(ident);
        let ty = &field.ty;
        let value = match attrs.default {
            Some(Some(path)) => quote!(#private::serde_json::to_value(#path()).ok()),
            Some(None) => quote!(#private::serde_json::to_value(<#ty as ::core::default::Default>::default()).ok()),
            None if container_default => {
                quote!(#private::serde_json::to_value(&<Self as ::core::default::Default>::default().#ident).ok())
            }
            None if is_option(ty) => quote!(::core::option::Option::Some(#private::serde_json::Value::Null)),
            None => continue,
        };
        arms.push(quote!(#rust => #value,));
    }
    arms
}

fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// The expansion of `#[derive(stepcraft::Data)]`.
pub fn expand_data(input: &syn::DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let private = quote!(::stepcraft::__private);
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let container = serde_attrs(&cx, &input.attrs);
    let body = match &input.data {
        syn::Data::Struct(data) => {
            let arms = field_arms(&cx, &data.fields, container.rename_all, &private);
            let arms = arms.iter().map(|(rust, value)| quote!(#rust => ::core::option::Option::Some(#value),));
            let defaults = default_arms(&cx, &data.fields, container.default.is_some(), &private);
            quote! {
                fn json_field(field: &str) -> ::core::option::Option<#private::Field> {
                    match field {
                        #(#arms)*
                        _ => ::core::option::Option::None,
                    }
                }

                fn json_default(field: &str) -> ::core::option::Option<#private::serde_json::Value> {
                    match field {
                        #(#defaults)*
                        _ => ::core::option::Option::None,
                    }
                }
            }
        }
        syn::Data::Enum(data) => {
            let repr = match (&container.tag, &container.content, container.untagged) {
                (_, _, true) => quote!(#private::Repr::Untagged),
                (Some(tag), Some(content), _) => quote!(#private::Repr::Adjacent { tag: #tag, content: #content }),
                (Some(tag), None, _) => quote!(#private::Repr::Internal { tag: #tag }),
                (None, _, _) => quote!(#private::Repr::External),
            };
            let mut variant_arms = Vec::new();
            let mut field_arms_all = Vec::new();
            for variant in &data.variants {
                let attrs = serde_attrs(&cx, &variant.attrs);
                if attrs.skip {
                    continue;
                }
                let rust = unraw(&variant.ident);
                let json =
                    attrs.rename.unwrap_or_else(|| container.rename_all.map_or(rust.clone(), |r| r.variant(&rust)));
                let unit = matches!(variant.fields, syn::Fields::Unit);
                variant_arms.push(quote! {
                    #rust => ::core::option::Option::Some(#private::Variant { name: #json, repr: #repr, unit: #unit }),
                });
                let rule = attrs.rename_all.or(container.rename_all_fields);
                for (field, value) in field_arms(&cx, &variant.fields, rule, &private) {
                    field_arms_all.push(quote!((#rust, #field) => ::core::option::Option::Some(#value),));
                }
            }
            quote! {
                fn json_field(_: &str) -> ::core::option::Option<#private::Field> {
                    ::core::option::Option::None
                }
                fn json_variant(variant: &str) -> ::core::option::Option<#private::Variant> {
                    match variant {
                        #(#variant_arms)*
                        _ => ::core::option::Option::None,
                    }
                }
                fn json_variant_field(variant: &str, field: &str) -> ::core::option::Option<#private::Field> {
                    match (variant, field) {
                        #(#field_arms_all)*
                        _ => ::core::option::Option::None,
                    }
                }
            }
        }
        syn::Data::Union(u) => {
            cx.error_spanned_by(
                u.union_token,
                "`stepcraft::Data` is derived for structs and enums, like serde's derives",
            );
            quote!()
        }
    };
    cx.check()?;
    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #private::Data for #ident #ty_generics #where_clause {
                #body
            }
        };
    })
}

#[cfg(test)]
mod tests {
    use super::RenameRule::*;

    #[test]
    fn rename_rules_match_serde() {
        assert_eq!(Camel.field("total_cents"), "totalCents");
        assert_eq!(Pascal.field("total_cents"), "TotalCents");
        assert_eq!(Kebab.field("total_cents"), "total-cents");
        assert_eq!(ScreamingSnake.field("total_cents"), "TOTAL_CENTS");
        assert_eq!(Snake.variant("OutOfStock"), "out_of_stock");
        assert_eq!(Camel.variant("OutOfStock"), "outOfStock");
        assert_eq!(ScreamingKebab.variant("OutOfStock"), "OUT-OF-STOCK");
        assert_eq!(Lower.variant("OutOfStock"), "outofstock");
    }
}
