//! QR codes of the public pages, to print or share: a profile's
//! (`{PUBLIC_BASE_URL}/{username}?src=qr`) and a link's
//! (`{PUBLIC_BASE_URL}/r/{slug}?src=qr`, so each scan counts as a click from
//! `qr`), as SVG or PNG. Only what exists publicly has one: an unknown user,
//! or a link that does not redirect, is a 404.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, web};
use gridlink_http::openapi::ProblemSchema;
use gridlink_ids::{LinkSlug, Username};
use gridlink_problem::ApiError;
use qrcode::{Color, EcLevel, QrCode};

use crate::assembly::call;
use crate::edge;
use crate::state::Gateway;

/// Pixels per module of a PNG, and the quiet zone around the code in modules
/// (the four the standard asks for).
const PNG_MODULE_PX: usize = 8;
const QUIET_ZONE: usize = 4;

/// A QR code may be kept a while: what it encodes never changes.
const CACHE_CONTROL: &str = "public, max-age=300";

#[derive(Debug, Clone, Copy)]
enum Format {
    Svg,
    Png,
}

/// `url` as a QR code (error correction M: a printed code survives some
/// wear).
fn render(url: &str, format: Format) -> HttpResponse {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .expect("a public URL fits in a QR code");
    let (content_type, body) = match format {
        Format::Svg => (
            "image/svg+xml",
            code.render::<qrcode::render::svg::Color>()
                .min_dimensions(256, 256)
                .quiet_zone(true)
                .build()
                .into_bytes(),
        ),
        Format::Png => ("image/png", png(&code)),
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .body(body)
}

/// The code's modules as a black-on-white grayscale PNG.
fn png(code: &QrCode) -> Vec<u8> {
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * PNG_MODULE_PX;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (x, y) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for row in y * PNG_MODULE_PX..(y + 1) * PNG_MODULE_PX {
            let start = row * side + x * PNG_MODULE_PX;
            pixels[start..start + PNG_MODULE_PX].fill(0);
        }
    }
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, side as u32, side as u32);
    encoder.set_color(::png::ColorType::Grayscale);
    encoder.set_depth(::png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("writing to memory");
    writer
        .write_image_data(&pixels)
        .expect("the pixels fill the image");
    writer.finish().expect("writing to memory");
    out
}

async fn profile_code(
    req: &HttpRequest,
    gateway: &Gateway,
    username: &str,
    format: Format,
) -> HttpResponse {
    let admitted = match edge::admit(req, gateway, &gateway.qr).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    let no_such_user = || ApiError::NotFound("no such user".into()).error_response();
    let mut response = match Username::parse(username) {
        Err(_) => no_such_user(),
        Ok(username) => {
            let user = call(
                "user",
                &gateway.auth,
                gateway.users.user_by_username(&username),
            )
            .await;
            match user {
                Err(failed) => failed,
                Ok(None) => no_such_user(),
                Ok(Some(user)) => render(
                    &format!("{}/{}?src=qr", gateway.public_base_url, user.username),
                    format,
                ),
            }
        }
    };
    admitted.decorate(&mut response);
    response
}

async fn link_code(
    req: &HttpRequest,
    gateway: &Gateway,
    slug: &str,
    format: Format,
) -> HttpResponse {
    let admitted = match edge::admit(req, gateway, &gateway.qr).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    let no_such_link = || ApiError::NotFound("no such link".into()).error_response();
    let mut response = match LinkSlug::parse(slug) {
        Err(_) => no_such_link(),
        Ok(slug) => match crate::redirect::target(gateway, &slug).await {
            Err(failed) => failed,
            Ok(Some(target)) if target.redirects => render(
                &format!("{}/r/{slug}?src=qr", gateway.public_base_url),
                format,
            ),
            Ok(_) => no_such_link(),
        },
    };
    admitted.decorate(&mut response);
    response
}

/// A QR code of a user's public profile, as SVG.
#[utoipa::path(
    tag = "profiles",
    params(("username" = String, Path, description = "Case-insensitive", pattern = "^[A-Za-z0-9_]{3,30}$")),
    responses(
        (status = 200, description = "Encodes `{PUBLIC_BASE_URL}/{username}?src=qr`", body = String, content_type = "image/svg+xml"),
        (status = 404, description = "Unknown or deleted user", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 502, description = "The auth service failed", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, description = "The auth service is unavailable", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 504, description = "The auth service did not answer in time", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/profiles/{username}/qr.svg")]
pub async fn profile_svg(
    req: HttpRequest,
    gateway: web::Data<Gateway>,
    username: web::Path<String>,
) -> HttpResponse {
    profile_code(&req, &gateway, &username, Format::Svg).await
}

/// A QR code of a user's public profile, as PNG.
#[utoipa::path(
    tag = "profiles",
    params(("username" = String, Path, description = "Case-insensitive", pattern = "^[A-Za-z0-9_]{3,30}$")),
    responses(
        (status = 200, description = "Encodes `{PUBLIC_BASE_URL}/{username}?src=qr`", body = String, content_type = "image/png"),
        (status = 404, description = "Unknown or deleted user", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 502, description = "The auth service failed", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, description = "The auth service is unavailable", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 504, description = "The auth service did not answer in time", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/profiles/{username}/qr.png")]
pub async fn profile_png(
    req: HttpRequest,
    gateway: web::Data<Gateway>,
    username: web::Path<String>,
) -> HttpResponse {
    profile_code(&req, &gateway, &username, Format::Png).await
}

/// A QR code of a link (through `/r/{slug}`, counted as a click from
/// `qr`), as SVG. Only links that redirect have one.
#[utoipa::path(
    tag = "links",
    params(("slug" = LinkSlug, Path)),
    responses(
        (status = 200, description = "Encodes `{PUBLIC_BASE_URL}/r/{slug}?src=qr`", body = String, content_type = "image/svg+xml"),
        (status = 404, description = "Unknown, deleted, not live, or on a private grid", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 502, description = "The links service failed", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, description = "The links service is unavailable", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 504, description = "The links service did not answer in time", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/links/{slug}/qr.svg")]
pub async fn link_svg(
    req: HttpRequest,
    gateway: web::Data<Gateway>,
    slug: web::Path<String>,
) -> HttpResponse {
    link_code(&req, &gateway, &slug, Format::Svg).await
}

/// A QR code of a link, as PNG.
#[utoipa::path(
    tag = "links",
    params(("slug" = LinkSlug, Path)),
    responses(
        (status = 200, description = "Encodes `{PUBLIC_BASE_URL}/r/{slug}?src=qr`", body = String, content_type = "image/png"),
        (status = 404, description = "Unknown, deleted, not live, or on a private grid", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, body = ProblemSchema, content_type = "application/problem+json"),
        (status = 502, description = "The links service failed", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 503, description = "The links service is unavailable", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 504, description = "The links service did not answer in time", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/links/{slug}/qr.png")]
pub async fn link_png(
    req: HttpRequest,
    gateway: web::Data<Gateway>,
    slug: web::Path<String>,
) -> HttpResponse {
    link_code(&req, &gateway, &slug, Format::Png).await
}
