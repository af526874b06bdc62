//! Checking Prefect's basic-auth string. Every comparison of a secret in
//! artifactd goes through [`secret_eq`], so none of them leaks timing.

use base64::Engine;
use subtle::ConstantTimeEq;

/// Compares in constant time for equal lengths (the length itself may
/// show, as with Python's `hmac.compare_digest`, which the reference uses).
pub fn secret_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

/// True when an `Authorization` header value carries `auth_string`, read
/// as the reference reads it: exactly two whitespace-separated parts, the
/// scheme `Basic`, and base64 decoded leniently (Python's `b64decode`
/// drops characters outside the alphabet before decoding).
pub fn basic_auth_matches(header: Option<&[u8]>, auth_string: &str) -> bool {
    let Some(header) = header else { return false };
    let Ok(header) = std::str::from_utf8(header) else { return false };
    let mut parts = header.split_whitespace();
    let (Some(scheme), Some(creds), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    if scheme != "Basic" {
        return false;
    }
    let alphabet: String = creds.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')).collect();
    match base64::engine::general_purpose::STANDARD.decode(alphabet) {
        Ok(decoded) => secret_eq(&decoded, auth_string.as_bytes()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(s: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s))
    }

    #[test]
    fn accepts_only_the_configured_string() {
        let auth = "admin:s3cret";
        assert!(basic_auth_matches(Some(basic(auth).as_bytes()), auth));
        for wrong in [
            basic("admin:wrong"),
            basic("admin:s3cre"),
            basic("admin:s3cret "),
            format!("Bearer {}", basic(auth).trim_start_matches("Basic ")),
            format!("basic {}", basic(auth).trim_start_matches("Basic ")),
            basic(auth) + " extra",
            "Basic".into(),
            "Basic !!!".into(),
            String::new(),
        ] {
            assert!(!basic_auth_matches(Some(wrong.as_bytes()), auth), "{wrong}");
        }
        assert!(!basic_auth_matches(None, auth));
        assert!(!basic_auth_matches(Some(b"Basic \xff\xfe"), auth));
    }

    #[test]
    fn decodes_base64_leniently_as_python_does() {
        // b64decode("YWRtaW46czNjcmV0!!") == b"admin:s3cret"
        assert!(basic_auth_matches(Some(b"Basic YWRt!aW46czNj*cmV0"), "admin:s3cret"));
        // Incorrect padding stays an error.
        assert!(!basic_auth_matches(Some(b"Basic YWRtaW46czNjcmV"), "admin:s3cret"));
    }

    #[test]
    fn secret_eq_compares_whole_values() {
        assert!(secret_eq(b"abc", b"abc"));
        assert!(!secret_eq(b"abc", b"abd"));
        assert!(!secret_eq(b"abc", b"ab"));
        assert!(secret_eq(b"", b""));
    }
}
