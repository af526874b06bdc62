//! The reference's `EnforceMinimumAPIVersion` dependency: every API route
//! but `GET /health` refuses an `X-Prefect-Api-Version` header that is not
//! three integers, or is older than 0.8.0, with a 400. It runs after the
//! body is decoded as JSON and before it is validated, so handlers call
//! [`check`] right after reading the body (or first, without one).

use actix_web::HttpRequest;

use crate::error::ApiError;

const MINIMUM: (i128, i128, i128) = (0, 8, 0);

pub fn check(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(raw) = req.headers().get("x-prefect-api-version") else { return Ok(()) };
    // Starlette reads header bytes as latin-1.
    let value: String = raw.as_bytes().iter().map(|&b| b as char).collect();
    if value.is_empty() {
        return Ok(());
    }
    let parts: Vec<Option<i128>> = value.split('.').map(python_int).collect();
    let (major, minor, patch) = match parts.as_slice() {
        [Some(a), Some(b), Some(c)] => (*a, *b, *c),
        _ => {
            return Err(ApiError::BadRequest(format!(
                "Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but received {value}"
            )))
        }
    };
    if (major, minor, patch) < MINIMUM {
        return Err(ApiError::BadRequest(format!(
            "The request specified API version {value} but this server requires version 0.8.0 or higher."
        )));
    }
    Ok(())
}

/// Python's `int(text)` over latin-1 text: surrounding whitespace, an
/// optional sign, ASCII digits with single underscores between them.
/// Values too large for an i128 saturate, which keeps their order.
fn python_int(text: &str) -> Option<i128> {
    let is_space = |c: char| matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f' | ' ' | '\u{85}' | '\u{a0}');
    let t = text.trim_matches(is_space);
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
        return None;
    }
    let mut n: i128 = 0;
    for c in digits.chars() {
        match c {
            '_' => {}
            '0'..='9' => n = n.saturating_mul(10).saturating_add(i128::from(c as u8 - b'0')),
            _ => return None,
        }
    }
    Some(if negative { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::python_int;

    #[test]
    fn parses_as_python_int_does() {
        assert_eq!(python_int(" 1"), Some(1));
        assert_eq!(python_int("+2 "), Some(2));
        assert_eq!(python_int("-3"), Some(-3));
        assert_eq!(python_int("1_0"), Some(10));
        assert_eq!(python_int("1__0"), None);
        assert_eq!(python_int("_1"), None);
        assert_eq!(python_int(""), None);
        assert_eq!(python_int("-"), None);
        assert_eq!(python_int("x"), None);
        assert_eq!(python_int("\u{b2}"), None);
        assert_eq!(python_int("99999999999999999999999999999999999999999999"), Some(i128::MAX));
    }
}
