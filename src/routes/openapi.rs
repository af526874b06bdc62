//! `GET /api/openapi.json` (artifactd's generated document) and `GET /docs`
//! (and `/api/docs`), a page listing the operations.

use actix_web::{web, HttpResponse};

use super::method_not_allowed;

/// Under `/api`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/openapi.json")
            .route(web::get().to(document))
            .default_service(web::to(method_not_allowed)),
    );
    configure_docs(cfg);
}

/// `/docs` (also under `/api`, as the reference has both), beside the UI.
pub fn configure_docs(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/docs").route(web::get().to(docs)).default_service(web::to(method_not_allowed)),
    );
}

async fn document() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(crate::openapi::document_json())
}

async fn docs() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(crate::openapi::docs_html())
}
