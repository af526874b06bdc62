//! The `X-PREFECT-API-VERSION` request header, checked as the reference's
//! `EnforceMinimumAPIVersion` dependency does on every route of its API
//! routers: absent or empty passes; otherwise three Python `int`s joined by
//! dots, at least the minimum, else a 400 with the reference's `detail`.

/// The oldest client API version the reference (3.9.1) accepts.
pub const MINIMUM_API_VERSION: (i128, i128, i128) = (0, 8, 0);
const MINIMUM_TEXT: &str = "0.8.0";

/// CPython refuses to convert strings of more digits than this to `int`.
const PYTHON_MAX_STR_DIGITS: usize = 4300;

/// The refusal's `detail`, or None when the header passes.
pub fn refusal(header: Option<&[u8]>) -> Option<String> {
    let raw = header?;
    if raw.is_empty() {
        return None;
    }
    // Starlette decodes header values as latin-1, so every byte is a char.
    let text: String = raw.iter().map(|&b| b as char).collect();
    let parsed: Option<Vec<i128>> = text.split('.').map(python_int).collect();
    match parsed.as_deref() {
        Some(&[major, minor, patch]) => ((major, minor, patch) < MINIMUM_API_VERSION).then(|| {
            format!(
                "The request specified API version {text} but this server requires version {MINIMUM_TEXT} or higher."
            )
        }),
        _ => Some(format!(
            "Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but received {text}"
        )),
    }
}

/// The header's version when it passes the gate (None when absent or
/// empty), for the orchestration rules that keep old clients' behaviour.
pub fn parse(header: Option<&[u8]>) -> Option<(i128, i128, i128)> {
    let raw = header.filter(|r| !r.is_empty())?;
    let text: String = raw.iter().map(|&b| b as char).collect();
    let parsed: Option<Vec<i128>> = text.split('.').map(python_int).collect();
    match parsed.as_deref() {
        Some(&[major, minor, patch]) => Some((major, minor, patch)),
        _ => None,
    }
}

/// Python's whitespace for `int()`, within latin-1.
fn is_python_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f' | ' ' | '\u{85}' | '\u{a0}')
}

/// `int(s)` in base 10: surrounding whitespace, an optional sign, digits
/// with single underscores between them. Values beyond i128 saturate, which
/// keeps their order against the small minimum.
fn python_int(s: &str) -> Option<i128> {
    let s = s.trim_matches(is_python_space);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let bytes = digits.as_bytes();
    let well_formed = !bytes.is_empty()
        && bytes[0].is_ascii_digit()
        && bytes[bytes.len() - 1].is_ascii_digit()
        && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_')
        && !digits.contains("__");
    if !well_formed {
        return None;
    }
    let count = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    if count > PYTHON_MAX_STR_DIGITS {
        return None;
    }
    let mut value: i128 = 0;
    for b in bytes.iter().filter(|b| b.is_ascii_digit()) {
        value = value.saturating_mul(10).saturating_add(i128::from(b - b'0'));
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(v: &str) -> Option<String> {
        refusal(Some(v.as_bytes()))
    }

    // Each case was sent to a Prefect 3.9.1 server (GET /api/artifacts/{uuid}
    // with the header) and its answer noted.
    #[test]
    fn accepts_what_the_reference_accepts() {
        assert_eq!(refusal(None), None);
        for ok in ["", "0.8.0", "0.8.4", "1.0.0", " 1 . 2 . +3", "1_0.0.0", "0.8.-0", "99999999999999999999999999999999999999999.0.0"] {
            assert_eq!(check(ok), None, "{ok:?}");
        }
    }

    #[test]
    fn refuses_malformed_versions_with_the_reference_detail() {
        for bad in ["abc", "1.2", "0.8.0.1", "0x1.0.0", "1__0.0.0", "_1.0.0", "1.0.", "..", "1.0.0_"] {
            assert_eq!(
                check(bad).as_deref(),
                Some(format!("Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but received {bad}").as_str()),
                "{bad:?}"
            );
        }
        // Non-ASCII bytes are echoed as latin-1, as Starlette decodes them.
        assert_eq!(
            refusal(Some("٣.0.0".as_bytes())).as_deref(),
            Some("Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but received Ù£.0.0")
        );
        let long = format!("{}.0.0", "1".repeat(4301));
        assert!(check(&long).is_some_and(|d| d.starts_with("Invalid")));
        assert!(check(&format!("{}.0.0", "1".repeat(4300))).is_none());
    }

    #[test]
    fn refuses_versions_below_the_minimum() {
        for old in ["0.7.9", "-1.0.0", "0.07.9", "0.8.-1", "-99999999999999999999999999999999999999999.9.9"] {
            assert_eq!(
                check(old),
                Some(format!("The request specified API version {old} but this server requires version 0.8.0 or higher.")),
                "{old:?}"
            );
        }
    }
}
