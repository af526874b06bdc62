//! Service endpoints: health and version.

use actix_web::{web, HttpResponse};

use super::method_not_allowed;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/health")
            .route(web::get().to(health))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/admin/version")
            .route(web::get().to(version))
            .default_service(web::to(method_not_allowed)),
    );
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body("true")
}

/// Prefect clients compare this with their own version and refuse a server
/// of another major version.
async fn version() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(format!("\"{}\"", crate::PREFECT_VERSION))
}
