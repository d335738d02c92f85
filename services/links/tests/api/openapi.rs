//! proto-docs/links.openapi.json is generated from the code; this fails when
//! they drift apart (`make openapi` regenerates it).

const DOCUMENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../proto-docs/links.openapi.json"
);

#[test]
fn proto_docs_match_the_generated_document() {
    let generated = links::openapi::document().to_pretty_json().unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(DOCUMENT, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(DOCUMENT).unwrap_or_default();
    assert!(
        committed == generated,
        "proto-docs/links.openapi.json is stale: run `make openapi`"
    );
}
