//! The permission matrix, generated from the served document: every operation, called as
//! anonymous, `user`, `manager` and `admin`, answers 401, 403 or success exactly as the
//! contract's permission column and the built-in roles say.

use super::contract::{Who, who};
use super::targets::{PASSWORD_CHANGE, Targets};
use super::{Callers, Role, operations, send, served_document};
use crate::helpers::TestApp;

/// What the contract expects of `role` calling an operation open to `who`.
fn expected(who: Who, role: Role) -> Expected {
    match (who, role) {
        (Who::Anyone | Who::RefreshToken | Who::ExportLink, _) => Expected::Success,
        (_, Role::Anonymous) => Expected::Unauthenticated,
        (Who::Authenticated, _) => Expected::Success,
        (Who::Permission(permission), role) if role.permissions().contains(&permission) => {
            Expected::Success
        }
        (Who::Permission(_), _) => Expected::Forbidden,
    }
}

#[derive(Debug, PartialEq)]
enum Expected {
    Unauthenticated,
    Forbidden,
    Success,
}

#[tokio::test(flavor = "multi_thread")]
async fn every_documented_operation_answers_each_role_by_the_contract() {
    let app = TestApp::spawn().await;
    let callers = Callers::sign_up(&app).await;
    let targets = Targets::create(&app, &callers).await;
    let document = served_document(&app).await;

    let mut mismatches = Vec::new();
    for (method, template, _) in operations(&document) {
        let who = who(&method, &template)
            .unwrap_or_else(|| panic!("{method} {template} is not in the contract table"));
        for role in Role::ALL {
            let (path, body) = targets.request(&app, &callers, &method, &template).await;
            let fresh = match template.as_str() {
                PASSWORD_CHANGE => callers.fresh(&app, role).await,
                _ => None,
            };
            let token = match &fresh {
                Some(account) => Some(account.access_token.as_str()),
                None => callers.token(role),
            };
            let response = send(&app, method.clone(), &path, token, body.as_ref()).await;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            let challenge = response
                .headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_owned());
            let expected = expected(who, role);
            let ok = match expected {
                Expected::Unauthenticated => {
                    status == 401
                        && challenge.as_deref() == Some("Bearer")
                        && content_type.as_deref() == Some("application/problem+json")
                }
                Expected::Forbidden => {
                    status == 403 && content_type.as_deref() == Some("application/problem+json")
                }
                Expected::Success => (200..300).contains(&status),
            };
            if !ok {
                let text = response.text().await.unwrap_or_default();
                mismatches.push(format!(
                    "{method} {template} as {role:?}: expected {expected:?}, got {status} \
                     (www-authenticate {challenge:?}, {content_type:?}): {text:.200}"
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} calls broke the matrix:\n{}",
        mismatches.len(),
        operations(&document).len() * Role::ALL.len(),
        mismatches.join("\n")
    );
}
