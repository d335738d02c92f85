//! The OpenAPI document in proto-docs/ is generated from the code; these tests
//! fail when the two drift apart or when the server serves routes the
//! document does not list.

use serde_json::Value;

use crate::helpers::spawn_app;

fn generated() -> String {
    auth::openapi::document().to_pretty_json().unwrap() + "\n"
}

#[test]
fn proto_docs_match_the_generated_document() {
    let document = auth::openapi::document();
    gridlink_test_support::assert_proto_docs(env!("CARGO_MANIFEST_DIR"), &document);
}

#[tokio::test]
async fn every_documented_operation_is_served_and_nothing_else_is() {
    let app = spawn_app().await;
    let document: Value = serde_json::from_str(&generated()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    let mut documented = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    documented.sort();
    assert_eq!(documented.len(), 26, "{documented:?}");
    for (method, path) in &documented {
        let concrete = path
            .replace("{username}", "someone")
            .replace("{user_id}", "us_00000000000000000000000000000000")
            .replace("{id}", "se_00000000000000000000000000000000");
        let response = app
            .client
            .request(method.parse().unwrap(), app.url(&concrete))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        // An unserved route would be the fallback's 404 "no such route" or a 405.
        assert!(
            status != 405 && body["detail"] != "no such route",
            "{method} {path} is documented but not served ({status})"
        );
    }
    // Methods the document does not list are refused on documented paths.
    for (path, item) in paths {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if item.get(method.to_lowercase()).is_none() {
                let concrete = path
                    .replace("{username}", "someone")
                    .replace("{user_id}", "us_00000000000000000000000000000000")
                    .replace("{id}", "se_00000000000000000000000000000000");
                let response = app
                    .client
                    .request(method.parse().unwrap(), app.url(&concrete))
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                // /users/{username} also matches /users/me, whose methods are documented.
                if path == "/api/v1/users/{username}" {
                    continue;
                }
                assert!(
                    status == 405 || status == 404,
                    "{method} {path} is served but not documented ({status})"
                );
            }
        }
    }
}
