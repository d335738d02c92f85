//! proto-docs/mailer.openapi.json is generated from the code; this fails
//! when they drift apart (`make openapi` regenerates it).

#[test]
fn proto_docs_match_the_generated_document() {
    let document = mailer::openapi::document();
    gridlink_test_support::assert_proto_docs(env!("CARGO_MANIFEST_DIR"), &document);
}
