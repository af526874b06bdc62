//! Python-compatible JSON reading and writing.
//!
//! The reference server (Prefect 3.9.1 on FastAPI/Starlette/pydantic v2) reads
//! request bodies with CPython's `json.loads(bytes)` (C scanner, CPython 3.11)
//! and writes responses two different ways:
//!
//! * successful responses go through pydantic-core's JSON serializer
//!   ([`to_pydantic_json`]);
//! * error responses (422 and friends) go through Starlette's `JSONResponse`,
//!   i.e. `json.dumps(..., ensure_ascii=False, allow_nan=False,
//!   separators=(",", ":"))` ([`to_starlette_json`]).
//!
//! Everything here mirrors CPython's `Modules/_json.c` closely because clients
//! see its error messages and positions verbatim in 422 bodies
//! (`loc: ["body", pos]`, `ctx.error: msg`, `request_body: doc`).
//!
//! Representation choices (a `serde_json::Value` cannot hold everything a
//! Python object can):
//!
//! * `NaN`, `Infinity`, `-Infinity` and float literals that overflow to
//!   infinity (`1e400`) become `Value::Null`; [`Loaded::non_finite`] records
//!   that it happened. pydantic writes such floats as `null` anyway, but
//!   Starlette refuses them (`allow_nan=False`), so a 422 echoing such a body
//!   is a 500 in the reference.
//! * Lone surrogates (from `\ud800` escapes, or from surrogates smuggled in
//!   through the byte decoding, which Python runs with `surrogatepass`) become
//!   U+FFFD; [`Loaded::lone_surrogate`] records it. The reference cannot
//!   encode such strings to UTF-8 and answers 500 whenever one is written out.
//! * Integers keep their exact digits (serde_json `arbitrary_precision`);
//!   `-0` becomes `0` as Python's `int` would.
//! * Floats are stored as the literal of Python's `repr(float)` (`1E2` ->
//!   `100.0`, `1e5` -> `100000.0`, `1e-5` -> `1e-05`), so every float literal
//!   in a loaded `Value` contains `.` or `e`, and every integer contains
//!   neither. Both writers re-format floats, so they also accept any other
//!   valid literal (e.g. ones produced by `serde_json::json!`).
//!
//! Also here: [`sqlite_numeric_affinity`], the reference's storage quirk for
//! a top-level numeric JSON value, and [`nesting_depth`] against
//! [`PYDANTIC_MAX_SERIALIZE_DEPTH`].

use serde_json::{Map, Number, Value};
use std::fmt;

/// The one nesting limit of the program: the deepest container nesting of
/// any JSON document it accepts or stores.
///
/// A request body may be nested this deep (so an artifact's `data` inside
/// the body object one level less, 951), and so may every stored document
/// and every element of a fixture array; documents that wrap such values
/// (a fixture file, an export, a page of a Prefect server's answers) allow
/// their own envelope on top ([`loads_within`]). `fixtures::load`,
/// `fixtures::export` and `import` all take their limit from here, so
/// whatever the API accepted exports, seeds and imports again
/// (`docs/fixtures.md`, "Nesting").
///
/// It is the reference's own limit for a body: CPython's scanner calls
/// `Py_EnterRecursiveCall` for every `[`/`{`; with the interpreter frames
/// already on the stack when FastAPI calls `json.loads`, the reference
/// raises `RecursionError` on the 953rd nested container (measured: a
/// `POST /api/artifacts/` body of 952 levels decodes, 953 answers 400).
/// Empty containers count. The reference stores less than it decodes (see
/// [`PYDANTIC_MAX_SERIALIZE_DEPTH`]); artifactd stores and answers all of it.
pub const MAX_DEPTH: usize = 952;

/// CPython's default `sys.get_int_max_str_digits()`: an integer literal with
/// more digits (sign excluded) makes `int()` raise `ValueError`, which FastAPI
/// reports as 400.
pub const MAX_INT_DIGITS: usize = 4300;

/// pydantic-core's serializer gives up ("Maximum serialization depth
/// exceeded") on an `Any` value nested deeper than this. Measured on
/// Prefect 3.9.1 via `POST /api/artifacts/`: `data` of 254 nested objects
/// around a scalar answers 201, 255 answer 500; nested lists ending in an
/// empty one, 255 levels answer 201 and 256 answer 500 (the innermost empty
/// container needs no serializer frame of its own). Above it the reference
/// answers 500 and stores nothing. Compare against [`nesting_depth`].
pub const PYDANTIC_MAX_SERIALIZE_DEPTH: usize = 254;

/// Why a body could not be turned into a `Value` the way the reference would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// `json.JSONDecodeError`: `msg` is Python's `e.msg`, `pos` its `e.pos`
    /// (a character index into `doc`), `doc` the decoded document. FastAPI
    /// answers 422 with a `json_invalid` error echoing all three.
    Decode {
        msg: String,
        pos: usize,
        doc: String,
    },
    /// Like `Decode`, but the document contains a lone surrogate, so
    /// Starlette fails to UTF-8-encode the 422 body and the reference answers
    /// 500 `{"exception_message":"Internal Server Error"}`.
    DecodeUnrenderable { msg: String, pos: usize },
    /// The bytes are not valid in the encoding `json.detect_encoding` picked
    /// (`UnicodeDecodeError`). Reference: 400
    /// `{"detail":"There was an error parsing the body"}`.
    Unicode,
    /// Nesting deeper than [`MAX_DEPTH`] (`RecursionError` in Python).
    /// Reference: 400 `{"detail":"There was an error parsing the body"}`.
    TooDeep,
    /// An integer literal longer than [`MAX_INT_DIGITS`] digits (`ValueError`
    /// in Python). Reference: 400 `{"detail":"There was an error parsing the body"}`.
    IntTooLong,
}

impl LoadError {
    /// HTTP status the reference answers with when `json.loads` of a request
    /// body fails this way.
    pub fn reference_status(&self) -> u16 {
        match self {
            LoadError::Decode { .. } => 422,
            LoadError::DecodeUnrenderable { .. } => 500,
            LoadError::Unicode | LoadError::TooDeep | LoadError::IntTooLong => 400,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Decode { msg, pos, .. } | LoadError::DecodeUnrenderable { msg, pos } => {
                write!(f, "{msg} at char {pos}")
            }
            LoadError::Unicode => f.write_str("body is not valid in its detected encoding"),
            LoadError::TooDeep => write!(f, "nesting deeper than {MAX_DEPTH}"),
            LoadError::IntTooLong => {
                write!(f, "integer literal longer than {MAX_INT_DIGITS} digits")
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// A decoded body plus what was lost squeezing Python objects into a `Value`.
/// Only losses still present in the result count: a value overwritten by a
/// later duplicate key is gone in Python too.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub value: Value,
    /// A NaN/±Infinity (or overflowing float literal) was replaced by `null`.
    pub non_finite: bool,
    /// A lone surrogate was replaced by U+FFFD somewhere in a string or key.
    pub lone_surrogate: bool,
    /// When the document is an object: its keys whose value holds a
    /// non-finite number, so a caller can say where validation would fail.
    pub non_finite_keys: Vec<String>,
}

impl Loaded {
    /// Whether Starlette could echo this body (e.g. as `request_body` in a
    /// 422). If not, the reference answers 500 instead of that 422.
    pub fn starlette_renderable(&self) -> bool {
        !self.non_finite && !self.lone_surrogate
    }
}

/// `json.loads(bytes)` as Starlette's `Request.json()` calls it.
///
/// Note that FastAPI never calls it for an empty body (the body is then
/// "missing"); `loads(b"")` itself is `Expecting value` at 0, as in Python.
pub fn loads(bytes: &[u8]) -> Result<Value, LoadError> {
    loads_ext(bytes).map(|l| l.value)
}

/// Like [`loads`], also reporting the lossy replacements made.
pub fn loads_ext(bytes: &[u8]) -> Result<Loaded, LoadError> {
    loads_ext_within(bytes, 0)
}

/// [`loads`] of a document that wraps values in `envelope` levels of its
/// own (e.g. 1 for a JSON list of artifacts): each value inside may still
/// be nested [`MAX_DEPTH`] deep, so the document may be `MAX_DEPTH +
/// envelope` deep. Iterative: no nesting can overflow the stack.
pub fn loads_within(bytes: &[u8], envelope: usize) -> Result<Value, LoadError> {
    loads_ext_within(bytes, envelope).map(|l| l.value)
}

fn loads_ext_within(bytes: &[u8], envelope: usize) -> Result<Loaded, LoadError> {
    let chars = decode_bytes(bytes).ok_or(LoadError::Unicode)?;
    let p = Parser { s: &chars, max_depth: MAX_DEPTH.saturating_add(envelope) };
    match p.decode_document() {
        Ok((value, loss, top)) => Ok(Loaded {
            value,
            non_finite: loss.non_finite,
            lone_surrogate: loss.lone_surrogate,
            non_finite_keys: top.into_iter().filter(|(_, l)| l.non_finite).map(|(k, _)| k).collect(),
        }),
        Err(PErr::TooDeep) => Err(LoadError::TooDeep),
        Err(PErr::IntTooLong) => Err(LoadError::IntTooLong),
        Err(PErr::Decode(msg, pos)) => {
            let (doc, lossy) = code_points_to_string(&chars);
            let msg = msg.to_string();
            if lossy {
                Err(LoadError::DecodeUnrenderable { msg, pos })
            } else {
                Err(LoadError::Decode { msg, pos, doc })
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Byte decoding (json.detect_encoding + bytes.decode(enc, "surrogatepass"))
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf8Sig,
    Utf16Bom,
    Utf16Be,
    Utf16Le,
    Utf32Bom,
    Utf32Be,
    Utf32Le,
}

/// Port of `json.detect_encoding`; the order of checks matters because the
/// UTF-32-LE BOM starts with the UTF-16-LE BOM.
fn detect_encoding(b: &[u8]) -> Encoding {
    if b.starts_with(&[0xFF, 0xFE, 0, 0]) || b.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Encoding::Utf32Bom;
    }
    if b.starts_with(&[0xFF, 0xFE]) || b.starts_with(&[0xFE, 0xFF]) {
        return Encoding::Utf16Bom;
    }
    if b.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8Sig;
    }
    if b.len() >= 4 {
        if b[0] == 0 {
            return if b[1] != 0 {
                Encoding::Utf16Be
            } else {
                Encoding::Utf32Be
            };
        }
        if b[1] == 0 {
            return if b[2] != 0 || b[3] != 0 {
                Encoding::Utf16Le
            } else {
                Encoding::Utf32Le
            };
        }
    } else if b.len() == 2 {
        if b[0] == 0 {
            return Encoding::Utf16Be;
        }
        if b[1] == 0 {
            return Encoding::Utf16Le;
        }
    }
    Encoding::Utf8
}

/// Decodes to Python `str` code points. Surrogates stay as separate code
/// points (Python does not join an encoded surrogate pair in UTF-8/UTF-32),
/// but a proper UTF-16 surrogate pair decodes to one code point.
fn decode_bytes(b: &[u8]) -> Option<Vec<u32>> {
    match detect_encoding(b) {
        Encoding::Utf8 => decode_utf8(b),
        Encoding::Utf8Sig => decode_utf8(&b[3..]),
        Encoding::Utf16Bom => {
            let big = b[0] == 0xFE;
            decode_utf16(&b[2..], big)
        }
        Encoding::Utf16Be => decode_utf16(b, true),
        Encoding::Utf16Le => decode_utf16(b, false),
        Encoding::Utf32Bom => {
            let big = b[0] == 0;
            decode_utf32(&b[4..], big)
        }
        Encoding::Utf32Be => decode_utf32(b, true),
        Encoding::Utf32Le => decode_utf32(b, false),
    }
}

/// Strict UTF-8 except that encoded surrogates (ED A0..BF xx) are accepted,
/// which is what Python's `surrogatepass` error handler does.
fn decode_utf8(b: &[u8]) -> Option<Vec<u32>> {
    // Fast path: well-formed UTF-8 (the overwhelmingly common case).
    if let Ok(s) = std::str::from_utf8(b) {
        return Some(s.chars().map(|c| c as u32).collect());
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let cont = |x: Option<&u8>| -> Option<u32> {
        match x {
            Some(&c) if (0x80..=0xBF).contains(&c) => Some(u32::from(c & 0x3F)),
            _ => None,
        }
    };
    while i < b.len() {
        let c0 = b[i];
        if c0 < 0x80 {
            out.push(u32::from(c0));
            i += 1;
            continue;
        }
        // Allowed range of the second byte depends on the lead byte.
        let (len, lo, hi) = match c0 {
            0xC2..=0xDF => (2, 0x80, 0xBF),
            0xE0 => (3, 0xA0, 0xBF),
            0xE1..=0xEF => (3, 0x80, 0xBF), // includes ED A0..BF: surrogatepass
            0xF0 => (4, 0x90, 0xBF),
            0xF1..=0xF3 => (4, 0x80, 0xBF),
            0xF4 => (4, 0x80, 0x8F),
            _ => return None,
        };
        let c1 = *b.get(i + 1)?;
        if c1 < lo || c1 > hi {
            return None;
        }
        let mut cp = u32::from(c0) & (0x7F >> len);
        cp = (cp << 6) | u32::from(c1 & 0x3F);
        for k in 2..len {
            cp = (cp << 6) | cont(b.get(i + k))?;
        }
        out.push(cp);
        i += len;
    }
    Some(out)
}

fn decode_utf16(b: &[u8], big: bool) -> Option<Vec<u32>> {
    if !b.len().is_multiple_of(2) {
        return None; // "truncated data"
    }
    let units: Vec<u32> = b
        .chunks_exact(2)
        .map(|c| {
            u32::from(if big {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            })
        })
        .collect();
    let mut out = Vec::with_capacity(units.len());
    let mut i = 0;
    while i < units.len() {
        let u = units[i];
        if (0xD800..0xDC00).contains(&u) {
            if let Some(&l) = units.get(i + 1) {
                if (0xDC00..0xE000).contains(&l) {
                    out.push(0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00));
                    i += 2;
                    continue;
                }
            }
        }
        out.push(u); // lone surrogates pass (surrogatepass)
        i += 1;
    }
    Some(out)
}

fn decode_utf32(b: &[u8], big: bool) -> Option<Vec<u32>> {
    if !b.len().is_multiple_of(4) {
        return None; // "truncated data"
    }
    b.chunks_exact(4)
        .map(|c| {
            let arr = [c[0], c[1], c[2], c[3]];
            let cp = if big {
                u32::from_be_bytes(arr)
            } else {
                u32::from_le_bytes(arr)
            };
            (cp <= 0x10FFFF).then_some(cp)
        })
        .collect()
}

/// Returns the string and whether a lone surrogate had to be replaced.
fn code_points_to_string(cps: &[u32]) -> (String, bool) {
    let mut s = String::with_capacity(cps.len());
    let mut lossy = false;
    for &cp in cps {
        match char::from_u32(cp) {
            Some(c) => s.push(c),
            None => {
                lossy = true;
                s.push('\u{FFFD}');
            }
        }
    }
    (s, lossy)
}

// ---------------------------------------------------------------------------
// Scanner (port of CPython 3.11 Modules/_json.c, made iterative)
// ---------------------------------------------------------------------------

enum PErr {
    Decode(&'static str, usize),
    TooDeep,
    IntTooLong,
}

const EXPECTING_VALUE: &str = "Expecting value";
const EXPECTING_NAME: &str = "Expecting property name enclosed in double quotes";
const EXPECTING_COLON: &str = "Expecting ':' delimiter";
const EXPECTING_COMMA: &str = "Expecting ',' delimiter";

fn is_ws(c: u32) -> bool {
    matches!(c, 0x20 | 0x09 | 0x0A | 0x0D)
}

fn is_digit(c: u32) -> bool {
    (0x30..=0x39).contains(&c)
}

/// What was lost converting a (sub)value to a `Value`. Tracked per value so
/// that a loss inside a value later overwritten by a duplicate key does not
/// count, exactly as the overwritten Python object would be gone.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Loss {
    non_finite: bool,
    lone_surrogate: bool,
}

impl Loss {
    const NON_FINITE: Loss = Loss {
        non_finite: true,
        lone_surrogate: false,
    };

    fn surrogate(lossy: bool) -> Loss {
        Loss {
            non_finite: false,
            lone_surrogate: lossy,
        }
    }

    fn any(self) -> bool {
        self.non_finite || self.lone_surrogate
    }

    fn or(self, o: Loss) -> Loss {
        Loss {
            non_finite: self.non_finite || o.non_finite,
            lone_surrogate: self.lone_surrogate || o.lone_surrogate,
        }
    }
}

/// An open container. Objects carry the key whose value is being parsed
/// (with that key's own loss) and the loss of each current entry, kept
/// only for lossy entries since that is rare.
enum Frame {
    Array(Vec<Value>, Loss),
    Object {
        map: Map<String, Value>,
        key: String,
        key_loss: Loss,
        lossy: Vec<(String, Loss)>,
    },
}

impl Frame {
    fn object(key: String, key_loss: Loss) -> Frame {
        Frame::Object {
            map: Map::new(),
            key,
            key_loss,
            lossy: Vec::new(),
        }
    }

    /// Closes the container, returning it with its total loss and, for an
    /// object, the loss of each lossy entry.
    fn finish(self) -> (Value, Loss, Vec<(String, Loss)>) {
        match self {
            Frame::Array(items, loss) => (Value::Array(items), loss, Vec::new()),
            Frame::Object { map, lossy, .. } => {
                let loss = lossy.iter().fold(Loss::default(), |acc, (_, l)| acc.or(*l));
                (Value::Object(map), loss, lossy)
            }
        }
    }
}

/// The losses of an object's entries, by key (only lossy entries).
type KeyLosses = Vec<(String, Loss)>;

/// Result of scanning at a value position.
enum Scanned {
    Done(Value, usize, Loss),
    /// A non-empty container was opened; parsing continues at the index.
    Opened(Frame, usize),
}

struct Parser<'a> {
    s: &'a [u32],
    /// Deepest container nesting accepted ([`MAX_DEPTH`] plus any envelope).
    max_depth: usize,
}

impl Parser<'_> {
    fn at(&self, idx: usize) -> Option<u32> {
        self.s.get(idx).copied()
    }

    fn is(&self, idx: usize, c: char) -> bool {
        self.at(idx) == Some(c as u32)
    }

    fn skip_ws(&self, mut idx: usize) -> usize {
        while self.at(idx).is_some_and(is_ws) {
            idx += 1;
        }
        idx
    }

    fn starts_with(&self, idx: usize, lit: &str) -> bool {
        lit.chars().enumerate().all(|(k, c)| self.is(idx + k, c))
    }

    /// `JSONDecoder.decode`: skip whitespace, scan one value, skip
    /// whitespace, demand the end.
    fn decode_document(&self) -> Result<(Value, Loss, KeyLosses), PErr> {
        let start = self.skip_ws(0);
        let (value, end, loss, top) = self.scan(start)?;
        let end = self.skip_ws(end);
        if end != self.s.len() {
            return Err(PErr::Decode("Extra data", end));
        }
        Ok((value, loss, top))
    }

    /// `scan_once` with an explicit stack instead of C recursion, so hostile
    /// nesting cannot overflow our stack; the depth check mirrors
    /// `Py_EnterRecursiveCall` being hit on each `[`/`{`.
    fn scan(&self, start: usize) -> Result<(Value, usize, Loss, KeyLosses), PErr> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut idx = start;
        // The per-key losses of the outermost container once it closes.
        let mut outer_lossy = Vec::new();
        loop {
            let (mut value, mut next, mut loss) = match self.scan_value(idx, stack.len())? {
                Scanned::Opened(frame, at) => {
                    stack.push(frame);
                    idx = at;
                    continue;
                }
                Scanned::Done(v, at, loss) => (v, at, loss),
            };
            // Feed the finished value to enclosing containers, closing as many
            // as end right here.
            loop {
                let Some(top) = stack.last_mut() else {
                    return Ok((value, next, loss, std::mem::take(&mut outer_lossy)));
                };
                let closer = match top {
                    Frame::Array(items, total) => {
                        items.push(value);
                        *total = total.or(loss);
                        ']'
                    }
                    Frame::Object {
                        map,
                        key,
                        key_loss,
                        lossy,
                    } => {
                        // Python dict semantics: last value wins, first position kept.
                        let key = std::mem::take(key);
                        let entry_loss = loss.or(*key_loss);
                        lossy.retain(|(k, _)| *k != key);
                        if entry_loss.any() {
                            lossy.push((key.clone(), entry_loss));
                        }
                        map.insert(key, value);
                        '}'
                    }
                };
                let after = self.skip_ws(next);
                if self.is(after, closer) {
                    let Some(frame) = stack.pop() else {
                        unreachable!("stack top was just inspected")
                    };
                    let lossy;
                    (value, loss, lossy) = frame.finish();
                    if stack.is_empty() {
                        outer_lossy = lossy;
                    }
                    next = after + 1;
                    continue;
                }
                if !self.is(after, ',') {
                    return Err(PErr::Decode(EXPECTING_COMMA, after));
                }
                let after = self.skip_ws(after + 1);
                idx = match stack.last_mut() {
                    Some(Frame::Object { key, key_loss, .. }) => {
                        let (k, k_loss, at) = self.object_key(after)?;
                        *key = k;
                        *key_loss = k_loss;
                        at
                    }
                    _ => after,
                };
                break;
            }
        }
    }

    /// Reads `"key" :` plus following whitespace, returning the key and the
    /// index of the value.
    fn object_key(&self, idx: usize) -> Result<(String, Loss, usize), PErr> {
        if !self.is(idx, '"') {
            return Err(PErr::Decode(EXPECTING_NAME, idx));
        }
        let (key, lossy, idx) = self.scan_string(idx + 1)?;
        let idx = self.skip_ws(idx);
        if !self.is(idx, ':') {
            return Err(PErr::Decode(EXPECTING_COLON, idx));
        }
        Ok((key, Loss::surrogate(lossy), self.skip_ws(idx + 1)))
    }

    fn scan_value(&self, idx: usize, depth: usize) -> Result<Scanned, PErr> {
        let Some(c) = self.at(idx) else {
            return Err(PErr::Decode(EXPECTING_VALUE, idx));
        };
        let done = |v: Value, at: usize| Ok(Scanned::Done(v, at, Loss::default()));
        let non_finite = |at: usize| Ok(Scanned::Done(Value::Null, at, Loss::NON_FINITE));
        match char::from_u32(c) {
            Some('"') => {
                let (s, lossy, at) = self.scan_string(idx + 1)?;
                Ok(Scanned::Done(Value::String(s), at, Loss::surrogate(lossy)))
            }
            Some('{') => {
                if depth >= self.max_depth {
                    return Err(PErr::TooDeep);
                }
                let at = self.skip_ws(idx + 1);
                if self.is(at, '}') {
                    return done(Value::Object(Map::new()), at + 1);
                }
                let (key, key_loss, at) = self.object_key(at)?;
                Ok(Scanned::Opened(Frame::object(key, key_loss), at))
            }
            Some('[') => {
                if depth >= self.max_depth {
                    return Err(PErr::TooDeep);
                }
                let at = self.skip_ws(idx + 1);
                if self.is(at, ']') {
                    return done(Value::Array(Vec::new()), at + 1);
                }
                Ok(Scanned::Opened(
                    Frame::Array(Vec::new(), Loss::default()),
                    at,
                ))
            }
            Some('n') if self.starts_with(idx, "null") => done(Value::Null, idx + 4),
            Some('t') if self.starts_with(idx, "true") => done(Value::Bool(true), idx + 4),
            Some('f') if self.starts_with(idx, "false") => done(Value::Bool(false), idx + 5),
            Some('N') if self.starts_with(idx, "NaN") => non_finite(idx + 3),
            Some('I') if self.starts_with(idx, "Infinity") => non_finite(idx + 8),
            Some('-') if self.starts_with(idx, "-Infinity") => non_finite(idx + 9),
            _ => match self.match_number(idx)? {
                (Some(v), at) => done(v, at),
                (None, at) => non_finite(at),
            },
        }
    }

    /// `_match_number_unicode`, including its backtracking on a bare `e`
    /// and on `.` not followed by a digit (those become "Extra data" or a
    /// delimiter error at the caller, as in Python). `None` means a float
    /// literal that overflows to infinity.
    fn match_number(&self, start: usize) -> Result<(Option<Value>, usize), PErr> {
        let no_value = PErr::Decode(EXPECTING_VALUE, start);
        let digit_at = |i: usize| self.at(i).is_some_and(is_digit);
        let mut idx = start;
        if self.is(idx, '-') {
            idx += 1;
        }
        match self.at(idx) {
            Some(c) if (0x31..=0x39).contains(&c) => {
                idx += 1;
                while digit_at(idx) {
                    idx += 1;
                }
            }
            Some(0x30) => idx += 1,
            _ => return Err(no_value),
        }
        let mut is_float = false;
        if self.is(idx, '.') && digit_at(idx + 1) {
            is_float = true;
            idx += 2;
            while digit_at(idx) {
                idx += 1;
            }
        }
        // C requires a character after the `e` (`idx < end_idx`).
        if (self.is(idx, 'e') || self.is(idx, 'E')) && idx + 1 < self.s.len() {
            let e_start = idx;
            idx += 1;
            if (self.is(idx, '-') || self.is(idx, '+')) && idx + 1 < self.s.len() {
                idx += 1;
            }
            while digit_at(idx) {
                idx += 1;
            }
            if digit_at(idx - 1) {
                is_float = true;
            } else {
                idx = e_start;
            }
        }
        // Everything in start..idx is ASCII by construction.
        let lit: String = self.s[start..idx]
            .iter()
            .filter_map(|&c| char::from_u32(c))
            .collect();
        if is_float {
            let f: f64 = lit.parse().map_err(|_| no_value)?;
            if !f.is_finite() {
                return Ok((None, idx));
            }
            return Ok((Some(float_value(f)), idx));
        }
        let digits = lit.trim_start_matches('-');
        if digits.len() > MAX_INT_DIGITS {
            return Err(PErr::IntTooLong);
        }
        let canonical = if digits == "0" { "0" } else { lit.as_str() };
        let n: Number = canonical.parse().map_err(|_| no_value)?;
        Ok((Some(Value::Number(n)), idx))
    }

    /// `scanstring_unicode` in strict mode; `begin` is just past the opening
    /// quote. Returns the string, whether a lone surrogate was replaced, and
    /// the index after the closing quote. Error positions follow the C code
    /// (a bad `\u` escape is reported at its `u`, not at the backslash).
    fn scan_string(&self, begin: usize) -> Result<(String, bool, usize), PErr> {
        let s = self.s;
        let len = s.len();
        let quote = begin - 1;
        let mut out = String::new();
        let mut lossy = false;
        let mut push = |out: &mut String, cp: u32| match char::from_u32(cp) {
            Some(ch) => out.push(ch),
            None => {
                lossy = true;
                out.push('\u{FFFD}');
            }
        };
        let mut end = begin;
        loop {
            // Copy the run of ordinary characters.
            let mut next = end;
            let mut c = None;
            while next < len {
                let ch = s[next];
                if ch == u32::from(b'"') || ch == u32::from(b'\\') {
                    c = Some(ch);
                    break;
                }
                if ch <= 0x1F {
                    return Err(PErr::Decode("Invalid control character at", next));
                }
                push(&mut out, ch);
                next += 1;
            }
            let Some(c) = c else {
                return Err(PErr::Decode("Unterminated string starting at", quote));
            };
            next += 1;
            if c == u32::from(b'"') {
                return Ok((out, lossy, next));
            }
            // Backslash.
            let Some(esc) = s.get(next).copied() else {
                return Err(PErr::Decode("Unterminated string starting at", quote));
            };
            if esc != u32::from(b'u') {
                end = next + 1;
                let decoded = match char::from_u32(esc) {
                    Some('"') => '"',
                    Some('\\') => '\\',
                    Some('/') => '/',
                    Some('b') => '\u{8}',
                    Some('f') => '\u{c}',
                    Some('n') => '\n',
                    Some('r') => '\r',
                    Some('t') => '\t',
                    _ => return Err(PErr::Decode("Invalid \\escape", end - 2)),
                };
                out.push(decoded);
                continue;
            }
            // \uXXXX: C insists on at least one character after the four
            // hex digits, hence `>=`.
            next += 1;
            end = next + 4;
            if end >= len {
                return Err(PErr::Decode("Invalid \\uXXXX escape", next - 1));
            }
            let mut cp =
                hex4(&s[next..end]).ok_or(PErr::Decode("Invalid \\uXXXX escape", end - 5))?;
            // Join a following \uDC00-\uDFFF to a high surrogate; C only
            // looks when 6 more characters *and* one after them exist.
            if (0xD800..0xDC00).contains(&cp)
                && end + 6 < len
                && s[end] == u32::from(b'\\')
                && s[end + 1] == u32::from(b'u')
            {
                let low = hex4(&s[end + 2..end + 6])
                    .ok_or(PErr::Decode("Invalid \\uXXXX escape", end + 1))?;
                if (0xDC00..0xE000).contains(&low) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    end += 6;
                }
            }
            push(&mut out, cp);
        }
    }
}

fn hex4(digits: &[u32]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        Some((acc << 4) | char::from_u32(d)?.to_digit(16)?)
    })
}

/// A float as a `Number` whose literal is Python's `repr`.
fn float_value(f: f64) -> Value {
    match python_float_repr(f).parse::<Number>() {
        Ok(n) => Value::Number(n),
        // Unreachable for finite floats: repr output is always valid JSON.
        Err(_) => Value::Null,
    }
}

/// What the reference's SQLite storage does to a *top-level* JSON value kept
/// in a `JSON` column (e.g. `artifact.data`), as observed through
/// `POST /api/artifacts/` then reading `data` back.
///
/// The column has NUMERIC affinity, and SQLAlchemy stores `json.dumps(value)`
/// as text, so a bare number is converted by SQLite: an integral float
/// strictly inside the i64 range becomes an integer (`2.0` -> `2`, `1e16` ->
/// `10000000000000000`, `-0.0` -> `0`) and an integer outside the i64 range
/// becomes a float (`123456789012345678901234567890` ->
/// `1.2345678901234568e+29`). Nested numbers and non-numbers are untouched.
///
/// Borrows anything it does not change, so a deep value is never copied
/// (a recursive copy of a value at [`MAX_DEPTH`] could overflow a stack).
pub fn sqlite_numeric_affinity(v: &Value) -> std::borrow::Cow<'_, Value> {
    use std::borrow::Cow;
    let Value::Number(n) = v else {
        return Cow::Borrowed(v);
    };
    let lit = n.to_string();
    let is_int = !lit.contains(['.', 'e', 'E']);
    if is_int && lit.parse::<i64>().is_ok() {
        return Cow::Borrowed(v);
    }
    let Ok(f) = lit.parse::<f64>() else {
        return Cow::Borrowed(v);
    };
    // SQLite's sqlite3VdbeIntegerAffinity: real->int->real must round-trip
    // and the int must not be i64::MIN/MAX (where the cast saturates).
    let ix = f as i64;
    if f.is_finite() && f == ix as f64 && ix > i64::MIN && ix < i64::MAX {
        return Cow::Owned(Value::Number(Number::from(ix)));
    }
    Cow::Owned(float_value(f))
}

/// `v.clone()` without recursion: `Value::clone` takes stack frames per
/// level (about 1.7 KB a level in a debug build), so copying a value nested
/// [`MAX_DEPTH`] deep on a 2 MB thread (actix workers, the writer) would
/// overflow. Use this wherever a request or a file controls the value.
pub fn deep_clone(v: &Value) -> Value {
    enum Frame<'a> {
        Array(std::slice::Iter<'a, Value>, Vec<Value>),
        Object(serde_json::map::Iter<'a>, Map<String, Value>, String),
    }
    /// A scalar's copy, or the frame that will collect a container's.
    fn open(v: &Value) -> Result<Value, Frame<'_>> {
        match v {
            Value::Array(items) => Err(Frame::Array(items.iter(), Vec::with_capacity(items.len()))),
            Value::Object(m) => Err(Frame::Object(m.iter(), Map::new(), String::new())),
            scalar => Ok(scalar.clone()),
        }
    }
    let mut stack = match open(v) {
        Ok(scalar) => return scalar,
        Err(frame) => vec![frame],
    };
    loop {
        let Some(top) = stack.last_mut() else { return Value::Null };
        let next = match top {
            Frame::Array(it, _) => it.next(),
            // The key waits in the frame until its value is complete.
            Frame::Object(it, _, pending) => it.next().map(|(k, x)| {
                *pending = k.clone();
                x
            }),
        };
        let done = match next {
            Some(x) => match open(x) {
                Ok(scalar) => scalar,
                Err(frame) => {
                    stack.push(frame);
                    continue;
                }
            },
            None => match stack.pop() {
                Some(Frame::Array(_, items)) => Value::Array(items),
                Some(Frame::Object(_, m, _)) => Value::Object(m),
                None => return Value::Null,
            },
        };
        match stack.last_mut() {
            Some(Frame::Array(_, items)) => items.push(done),
            Some(Frame::Object(_, m, pending)) => {
                m.insert(std::mem::take(pending), done);
            }
            None => return done,
        }
    }
}

// ---------------------------------------------------------------------------
// Float formatting
// ---------------------------------------------------------------------------

/// Shortest round-trip digits (no leading/trailing zeros, "0" for zero) and
/// the decimal point position, i.e. |f| = 0.DIGITS * 10^decpt.
fn shortest_digits(f: f64) -> (String, i32) {
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(f.abs());
    let (mantissa, exp) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = format!("{int_part}{frac_part}");
    let lead = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0');
    if digits.is_empty() {
        return ("0".to_string(), 1);
    }
    // Position of the point relative to the first significant digit.
    let decpt = int_part.len() as i32 - lead as i32 + exp;
    (digits.to_string(), decpt)
}

/// Python's `repr(float)` for finite values (`1e-05`, `1e+16`, `100.0`,
/// `-0.0`). Non-finite values give Python's `nan`/`inf`/`-inf`, which are not
/// JSON; callers must not emit them.
pub fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0.0");
    }
    let (digits, decpt) = shortest_digits(f);
    let n = digits.len() as i32;
    // CPython float_repr_style "short": exponent form iff decpt <= -4 or > 16.
    if decpt <= -4 || decpt > 16 {
        let exp = decpt - 1;
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.abs())
    } else if decpt <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if decpt >= n {
        format!("{sign}{digits}{}.0", "0".repeat((decpt - n) as usize))
    } else {
        let (a, b) = digits.split_at(decpt as usize);
        format!("{sign}{a}.{b}")
    }
}

/// pydantic-core's float output: ryu's formatting with an explicit `+` on
/// positive exponents (`1e+16`, `0.00001`, `1e-6`, `1000000000000000.0`).
/// Non-finite values are written as `null` (pydantic's default
/// `ser_json_inf_nan='null'`).
pub fn pydantic_float(f: f64) -> String {
    if !f.is_finite() {
        return "null".into();
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(f);
    match text.split_once('e') {
        Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
        _ => text.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Style {
    Pydantic,
    Starlette,
}

/// Body of a successful reference response (pydantic-core `to_json` of the
/// data): compact, raw UTF-8, big integers exact.
pub fn to_pydantic_json(v: &Value) -> String {
    write_json(v, Style::Pydantic)
}

/// Body of a Starlette `JSONResponse` (error responses): compact, raw UTF-8,
/// floats as Python `repr`.
///
/// Starlette would raise on NaN/Infinity (answering 500); a `Value` cannot
/// hold those, but a hand-made float literal that overflows (`1e400`) is
/// written as `null` here. Check [`Loaded::starlette_renderable`] to know
/// when the reference would have failed instead.
pub fn to_starlette_json(v: &Value) -> String {
    write_json(v, Style::Starlette)
}

/// Nesting depth of containers (`1` for `[]`, `0` for scalars); compare
/// against [`PYDANTIC_MAX_SERIALIZE_DEPTH`].
pub fn nesting_depth(v: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(items) => {
                max = max.max(d + 1);
                stack.extend(items.iter().map(|x| (x, d + 1)));
            }
            Value::Object(map) => {
                max = max.max(d + 1);
                stack.extend(map.values().map(|x| (x, d + 1)));
            }
            _ => {}
        }
    }
    max
}

/// An open container being written; `first` tells whether a separator is due.
enum WFrame<'a> {
    Array {
        items: std::slice::Iter<'a, Value>,
        first: bool,
    },
    Object {
        entries: serde_json::map::Iter<'a>,
        first: bool,
    },
}

/// Iterative so that a deep `Value` cannot overflow the stack.
fn write_json(v: &Value, style: Style) -> String {
    let mut out = String::new();
    let mut stack: Vec<WFrame<'_>> = Vec::new();
    let mut pending = Some(v);
    loop {
        if let Some(v) = pending.take() {
            match v {
                Value::Array(items) => {
                    out.push('[');
                    stack.push(WFrame::Array {
                        items: items.iter(),
                        first: true,
                    });
                }
                Value::Object(map) => {
                    out.push('{');
                    stack.push(WFrame::Object {
                        entries: map.iter(),
                        first: true,
                    });
                }
                scalar => write_scalar(&mut out, scalar, style),
            }
        }
        let Some(top) = stack.last_mut() else {
            return out;
        };
        match top {
            WFrame::Array { items, first } => match items.next() {
                Some(item) => {
                    if !std::mem::replace(first, false) {
                        out.push(',');
                    }
                    pending = Some(item);
                }
                None => {
                    out.push(']');
                    stack.pop();
                }
            },
            WFrame::Object { entries, first } => match entries.next() {
                Some((key, item)) => {
                    if !std::mem::replace(first, false) {
                        out.push(',');
                    }
                    write_str(&mut out, key);
                    out.push(':');
                    pending = Some(item);
                }
                None => {
                    out.push('}');
                    stack.pop();
                }
            },
        }
    }
}

fn write_scalar(out: &mut String, v: &Value, style: Style) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::String(s) => write_str(out, s),
        Value::Number(n) => write_number(out, n, style),
        // Containers are handled by write_json.
        Value::Array(_) | Value::Object(_) => {}
    }
}

fn write_number(out: &mut String, n: &Number, style: Style) {
    // With arbitrary_precision, Display yields the stored literal.
    let lit = n.to_string();
    if !lit.contains(['.', 'e', 'E']) {
        // Integer: Python prints an int's exact digits; `-0` is just `0`.
        let digits = lit.strip_prefix('-').unwrap_or(&lit);
        if digits.bytes().all(|b| b == b'0') {
            out.push('0');
        } else {
            out.push_str(&lit);
        }
        return;
    }
    let f: f64 = match lit.parse() {
        Ok(f) => f,
        Err(_) => {
            // Not reachable for literals serde_json accepted; keep output valid.
            out.push_str("null");
            return;
        }
    };
    if !f.is_finite() {
        out.push_str("null");
        return;
    }
    match style {
        Style::Pydantic => out.push_str(&pydantic_float(f)),
        Style::Starlette => out.push_str(&python_float_repr(f)),
    }
}

/// Python `json.dumps(..., ensure_ascii=False)` string escaping, which
/// pydantic-core matches exactly (verified over all of U+0000..U+2FFFF):
/// only `"`, `\` and C0 controls are escaped; DEL and U+2028 stay raw.
/// Writes `s` as a JSON string the way pydantic does: UTF-8 kept as is,
/// only quotes, backslashes and control characters escaped. Runs that need
/// no escape are copied whole.
pub fn write_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Every byte escaped is ASCII, so `i` is on a char boundary.
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            out.push_str(&format!("\\u{:04x}", b));
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_and_pydantic_do() {
        let mut samples: Vec<String> = (0u32..0x80).filter_map(char::from_u32).map(|c| format!("a{c}b")).collect();
        samples.extend(["", "plain", "é\u{2028}😀\u{7f}", "\"\\\n\u{0}end", "\u{1f}"].iter().map(|s| s.to_string()));
        for s in samples {
            let mut out = String::new();
            write_str(&mut out, &s);
            assert_eq!(out, serde_json::to_string(&s).unwrap(), "{s:?}");
        }
    }

    fn decode_err(bytes: &[u8]) -> (String, usize, String) {
        match loads(bytes) {
            Err(LoadError::Decode { msg, pos, doc }) => (msg, pos, doc),
            other => panic!("{bytes:?}: expected Decode error, got {other:?}"),
        }
    }

    fn roundtrip(bytes: &[u8]) -> (String, String) {
        let v = loads(bytes).unwrap_or_else(|e| panic!("{bytes:?}: {e:?}"));
        (to_starlette_json(&v), to_pydantic_json(&v))
    }

    /// (body, e.msg, e.pos, e.doc), all expected values produced by
    /// `json.loads(body)` in the reference's CPython 3.11.7 (gen_decode.py);
    /// a sample was also checked against the live reference's 422 bodies.
    #[test]
    fn decode_errors_match_python() {
        let cases: &[(&[u8], &str, usize, &str)] = &[
            (b"", "Expecting value", 0, ""),
            (b"   ", "Expecting value", 3, "   "),
            (
                b"{",
                "Expecting property name enclosed in double quotes",
                1,
                "{",
            ),
            (b"{\"a\"", "Expecting ':' delimiter", 4, "{\"a\""),
            (b"{\"a\":", "Expecting value", 5, "{\"a\":"),
            (b"{\"a\":1", "Expecting ',' delimiter", 6, "{\"a\":1"),
            (
                b"{\"a\":1,}",
                "Expecting property name enclosed in double quotes",
                7,
                "{\"a\":1,}",
            ),
            (b"[1,]", "Expecting value", 3, "[1,]"),
            (b"[1 2]", "Expecting ',' delimiter", 3, "[1 2]"),
            (b"\"abc", "Unterminated string starting at", 0, "\"abc"),
            (
                b"\"a\x01b\"",
                "Invalid control character at",
                2,
                "\"a\u{1}b\"",
            ),
            (
                b"\"a\x09b\"",
                "Invalid control character at",
                2,
                "\"a\u{9}b\"",
            ),
            (b"\"\\x\"", "Invalid \\escape", 1, "\"\\x\""),
            (b"\"\\u12\"", "Invalid \\uXXXX escape", 2, "\"\\u12\""),
            (b"\"\\u12G4\"", "Invalid \\uXXXX escape", 2, "\"\\u12G4\""),
            (
                b"\"\\ud800\\u12G4\"",
                "Invalid \\uXXXX escape",
                8,
                "\"\\ud800\\u12G4\"",
            ),
            (
                b"\"\\ud800\\u12\"",
                "Invalid \\uXXXX escape",
                8,
                "\"\\ud800\\u12\"",
            ),
            (b"[1] x", "Extra data", 4, "[1] x"),
            (b"tru", "Expecting value", 0, "tru"),
            (b"-", "Expecting value", 0, "-"),
            (b"-a", "Expecting value", 0, "-a"),
            (b"01", "Extra data", 1, "01"),
            (b"1.", "Extra data", 1, "1."),
            (b"1e", "Extra data", 1, "1e"),
            (b"1e+", "Extra data", 1, "1e+"),
            (b".5", "Expecting value", 0, ".5"),
            (b"+1", "Expecting value", 0, "+1"),
            (
                b"{'a':1}",
                "Expecting property name enclosed in double quotes",
                1,
                "{'a':1}",
            ),
            (b"nan", "Expecting value", 0, "nan"),
            (b"-NaN", "Expecting value", 0, "-NaN"),
            (b"[", "Expecting value", 1, "["),
            (b"\"\\", "Unterminated string starting at", 0, "\"\\"),
            (b"\"\\u1234", "Invalid \\uXXXX escape", 2, "\"\\u1234"),
            (b"\"\\u123", "Invalid \\uXXXX escape", 2, "\"\\u123"),
            (b"{\"a\" 1}", "Expecting ':' delimiter", 5, "{\"a\" 1}"),
            (
                b"{\"a\":1 \"b\":2}",
                "Expecting ',' delimiter",
                7,
                "{\"a\":1 \"b\":2}",
            ),
            (
                b"[\"\xc3\xa9\", \"\xf0\x9f\x98\x80\", x]",
                "Expecting value",
                11,
                "[\"\u{e9}\", \"\u{1f600}\", x]",
            ),
            (
                b"\xff\xfe{\x00\"\x00\xe9\x00\"\x00:\x001\x00,\x00}\x00",
                "Expecting property name enclosed in double quotes",
                7,
                "{\"\u{e9}\":1,}",
            ),
            (
                b"\x00[\x001\x00,\x002",
                "Expecting ',' delimiter",
                4,
                "[1,2",
            ),
            (
                b"[\x00\x00\x001\x00\x00\x00,\x00\x00\x002\x00\x00\x00",
                "Expecting ',' delimiter",
                4,
                "[1,2",
            ),
            (b"{\"a\":1}}", "Extra data", 7, "{\"a\":1}}"),
            (
                b"\xef\xbb\xbf\xef\xbb\xbf{}",
                "Expecting value",
                0,
                "\u{feff}{}",
            ),
            (b"1 2", "Extra data", 2, "1 2"),
            (b"Infinit", "Expecting value", 0, "Infinit"),
            (b"\x0c1", "Expecting value", 0, "\u{c}1"),
            (b"[1.5e]", "Expecting ',' delimiter", 4, "[1.5e]"),
            (b"[-]", "Expecting value", 1, "[-]"),
            (b"[00]", "Expecting ',' delimiter", 2, "[00]"),
            (
                b"{\"a\":1,\"b\"}",
                "Expecting ':' delimiter",
                10,
                "{\"a\":1,\"b\"}",
            ),
            (
                b"{1:2}",
                "Expecting property name enclosed in double quotes",
                1,
                "{1:2}",
            ),
            (b"[1,,2]", "Expecting value", 3, "[1,,2]"),
            (b"\"\\u00e9", "Invalid \\uXXXX escape", 2, "\"\\u00e9"),
            (b"\xef\xbb\xbf[1,", "Expecting value", 3, "[1,"),
            (b"  \x0a[1]\x0a  x", "Extra data", 9, "  \u{a}[1]\u{a}  x"),
            (
                b"[true false]",
                "Expecting ',' delimiter",
                6,
                "[true false]",
            ),
            (b"{\"a\":nul}", "Expecting value", 5, "{\"a\":nul}"),
            (
                b"[\"\\ud800\\udc00\" 1]",
                "Expecting ',' delimiter",
                16,
                "[\"\\ud800\\udc00\" 1]",
            ),
            (b"\"\x1f\"", "Invalid control character at", 1, "\"\u{1f}\""),
            (b"\x09\x0d\x0a ", "Expecting value", 4, "\u{9}\u{d}\u{a} "),
            (
                b"{\"a\":1,   ",
                "Expecting property name enclosed in double quotes",
                10,
                "{\"a\":1,   ",
            ),
            (b"[1,   ", "Expecting value", 6, "[1,   "),
            (
                b"\"\\uD834\\uDD1E",
                "Invalid \\uXXXX escape",
                8,
                "\"\\uD834\\uDD1E",
            ),
            (
                b"[-Infinity, -Inf]",
                "Expecting value",
                12,
                "[-Infinity, -Inf]",
            ),
            (b"[1]\x00", "Extra data", 3, "[1]\u{0}"),
            (b"{\"\\u0041\":}", "Expecting value", 10, "{\"\\u0041\":}"),
            (b"[1e5x]", "Expecting ',' delimiter", 4, "[1e5x]"),
            (b"[1E+2,]", "Expecting value", 6, "[1E+2,]"),
            (
                b"[\"a\" \"b\"]",
                "Expecting ',' delimiter",
                5,
                "[\"a\" \"b\"]",
            ),
            (
                b"[\"\\/\\b\\f\\q\"]",
                "Invalid \\escape",
                8,
                "[\"\\/\\b\\f\\q\"]",
            ),
        ];
        for (body, msg, pos, doc) in cases {
            let got = decode_err(body);
            assert_eq!(
                got,
                (msg.to_string(), *pos, doc.to_string()),
                "body {body:?}"
            );
        }
    }

    /// Expected outputs from Python: `json.dumps(json.loads(body),
    /// ensure_ascii=False, allow_nan=False, separators=(",", ":"))` and
    /// `pydantic_core.to_json(json.loads(body))` (pydantic-core 2.50.5).
    #[test]
    fn documents_round_trip_like_python() {
        let cases: &[(&[u8], &str, &str)] = &[
            (b"{\"b\": 1, \"a\": 2, \"b\": 3}", "{\"b\":3,\"a\":2}", "{\"b\":3,\"a\":2}"),
            (b" [1E2, -0, 123456789012345678901234567890, 1.0, 1e-5, \"\\u00e9\\ud83d\\ude00\\u2028\\u007f\\u0000\\n\\t\\/\"] ", "[100.0,0,123456789012345678901234567890,1.0,1e-05,\"\u{e9}\u{1f600}\u{2028}\u{7f}\\u0000\\n\\t/\"]", "[100.0,0,123456789012345678901234567890,1.0,0.00001,\"\u{e9}\u{1f600}\u{2028}\u{7f}\\u0000\\n\\t/\"]"),
            (b"{\"x\": {\"y\": [true, false, null, {}, []]}, \"\xc3\xa9\": \"\xe2\x82\xac\"}", "{\"x\":{\"y\":[true,false,null,{},[]]},\"\u{e9}\":\"\u{20ac}\"}", "{\"x\":{\"y\":[true,false,null,{},[]]},\"\u{e9}\":\"\u{20ac}\"}"),
            (b"\xff\xfe{\x00\"\x00k\x00\"\x00:\x00\"\x00\xe9\x00\"\x00}\x00", "{\"k\":\"\u{e9}\"}", "{\"k\":\"\u{e9}\"}"),
            (b"[\x00\x00\x001\x00\x00\x00,\x00\x00\x00\"\x00\x00\x00\x00\xf6\x01\x00\"\x00\x00\x00]\x00\x00\x00", "[1,\"\u{1f600}\"]", "[1,\"\u{1f600}\"]"),
            (b"\xef\xbb\xbf{\"a\":1}", "{\"a\":1}", "{\"a\":1}"),
            (b"\"\xed\x9f\xbf\"", "\"\u{d7ff}\"", "\"\u{d7ff}\""),
            // Control characters / DEL / U+2028 as both writers emit them.
            (b"\"\\u0000\\u0001\\b\\f\\u001f\\u007f\\u2028/\\\"\\\\\\n\\t\\r\"", "\"\\u0000\\u0001\\b\\f\\u001f\u{7f}\u{2028}/\\\"\\\\\\n\\t\\r\"", "\"\\u0000\\u0001\\b\\f\\u001f\u{7f}\u{2028}/\\\"\\\\\\n\\t\\r\""),
        ];
        for (body, starlette, pydantic) in cases {
            assert_eq!(
                roundtrip(body),
                (starlette.to_string(), pydantic.to_string()),
                "body {body:?}"
            );
        }
    }

    /// (literal, Python `repr`/Starlette, pydantic-core) from Python;
    /// the observed reference responses agree (1e16 -> `1e+16`, 1e-5 ->
    /// `0.00001`, 1e-6 -> `1e-6`, 1e15 -> `1000000000000000.0`, ...).
    #[test]
    fn floats_match_python_and_pydantic() {
        let cases = [
            ("1e16", "1e+16", "1e+16"),
            ("1e-5", "1e-05", "0.00001"),
            ("1e-6", "1e-06", "1e-6"),
            ("1e15", "1000000000000000.0", "1000000000000000.0"),
            ("2.0", "2.0", "2.0"),
            ("-0.0", "-0.0", "-0.0"),
            ("1e20", "1e+20", "1e+20"),
            ("1E2", "100.0", "100.0"),
            ("0.1", "0.1", "0.1"),
            ("0.0001", "0.0001", "0.0001"),
            ("1e-4", "0.0001", "0.0001"),
            ("1.5e300", "1.5e+300", "1.5e+300"),
            ("5e-324", "5e-324", "5e-324"),
            (
                "1.7976931348623157e308",
                "1.7976931348623157e+308",
                "1.7976931348623157e+308",
            ),
            ("123456789.123", "123456789.123", "123456789.123"),
            (
                "9007199254740993.0",
                "9007199254740992.0",
                "9007199254740992.0",
            ),
            ("1e22", "1e+22", "1e+22"),
            ("1e23", "1e+23", "1e+23"),
            (
                "0.30000000000000004",
                "0.30000000000000004",
                "0.30000000000000004",
            ),
            ("-1.5e-7", "-1.5e-07", "-1.5e-7"),
            ("12345.678e10", "123456780000000.0", "123456780000000.0"),
            ("9.999999999999999e15", "1e+16", "1e+16"),
            ("1e-400", "0.0", "0.0"),
            ("2.5e-05", "2.5e-05", "0.000025"),
            ("100000000000000000000.0", "1e+20", "1e+20"),
            ("3.0e+5", "300000.0", "300000.0"),
        ];
        for (lit, repr, pyd) in cases {
            let v = loads(lit.as_bytes()).unwrap_or_else(|e| panic!("{lit}: {e:?}"));
            // Loaded floats carry their Python repr as literal.
            assert_eq!(v.to_string(), repr, "stored literal of {lit}");
            assert_eq!(to_starlette_json(&v), repr, "starlette {lit}");
            assert_eq!(to_pydantic_json(&v), pyd, "pydantic {lit}");
            let f: f64 = lit.parse().unwrap_or(f64::NAN);
            assert_eq!(python_float_repr(f), repr);
            assert_eq!(pydantic_float(f), pyd);
        }
    }

    #[test]
    fn writers_accept_foreign_number_literals() {
        // Values built with serde_json (ryu literals like `1e16`) or by hand.
        let v: Value = serde_json::json!([1e16, 2.0, 0.00001, -0.0, 7]);
        assert_eq!(to_pydantic_json(&v), "[1e+16,2.0,0.00001,-0.0,7]");
        assert_eq!(to_starlette_json(&v), "[1e+16,2.0,1e-05,-0.0,7]");
        let big: Value =
            serde_json::from_str("[-0, 1E400, 340282366920938463463374607431768211456]").unwrap();
        assert_eq!(
            to_pydantic_json(&big),
            "[0,null,340282366920938463463374607431768211456]"
        );
        assert_eq!(
            to_starlette_json(&big),
            "[0,null,340282366920938463463374607431768211456]"
        );
    }

    #[test]
    fn integers_stay_exact_up_to_python_limit() {
        let ok = "9".repeat(MAX_INT_DIGITS);
        let v = loads(ok.as_bytes()).unwrap_or(Value::Null);
        assert_eq!(to_pydantic_json(&v), ok);
        assert_eq!(to_starlette_json(&v), ok);
        let neg = format!("-{ok}");
        assert!(loads(neg.as_bytes()).is_ok());
        // Reference: 4301 digits -> 400 "There was an error parsing the body".
        let too_long = "9".repeat(MAX_INT_DIGITS + 1);
        assert_eq!(loads(too_long.as_bytes()), Err(LoadError::IntTooLong));
        assert_eq!(
            loads(format!("[-{too_long}]").as_bytes()),
            Err(LoadError::IntTooLong)
        );
        // Floats have no digit limit in Python.
        let long_float = format!("1{}.5", "0".repeat(5000));
        assert!(loads(long_float.as_bytes()).is_ok());
        // An earlier syntax error wins, as parsing is sequential.
        assert!(matches!(
            loads(format!("[1 {too_long}]").as_bytes()),
            Err(LoadError::Decode { .. })
        ));
    }

    #[test]
    fn duplicate_keys_keep_first_position_last_value() {
        let v = loads(br#"{"a":1,"b":2,"a":{"x":3},"c":4,"b":5}"#).unwrap_or(Value::Null);
        assert_eq!(to_pydantic_json(&v), r#"{"a":{"x":3},"b":5,"c":4}"#);
    }

    #[test]
    fn non_finite_become_null_and_are_flagged() {
        for body in [
            &b"NaN"[..],
            b"Infinity",
            b"-Infinity",
            b"1e400",
            b"-1E999",
            b"[1, NaN]",
            b"{\"a\": {\"b\": Infinity}}",
        ] {
            let l = loads_ext(body).unwrap_or_else(|e| panic!("{body:?}: {e:?}"));
            assert!(l.non_finite && !l.starlette_renderable(), "{body:?}");
            assert!(!l.lone_surrogate);
        }
        let l = loads_ext(b"[NaN, -Infinity, Infinity, 1e400]").unwrap_or_else(|e| panic!("{e:?}"));
        // Reference echoes such data as `[null,null,null,null]` (pydantic).
        assert_eq!(to_pydantic_json(&l.value), "[null,null,null,null]");
        // An overwritten duplicate takes its loss with it, as in Python.
        let l = loads_ext(br#"{"a": NaN, "a": 1}"#).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(l.starlette_renderable());
        let l = loads_ext(br#"{"a": 1, "a": NaN, "b": 2}"#).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(!l.starlette_renderable());
        // Not constants: these are decode errors in Python.
        assert_eq!(decode_err(b"nan").0, "Expecting value");
        assert_eq!(decode_err(b"-NaN").1, 0);
        assert_eq!(decode_err(b"[Infinit]").1, 1);
    }

    #[test]
    fn lone_surrogates_are_replaced_and_flagged() {
        let lossy: &[&[u8]] = &[
            b"\"\\ud800\"",
            b"\"\\udc00\\ud800\"",
            b"\"\\ud800\\u0041\"",
            b"{\"\\udbff\": 1}",
            b"\"\xed\xa0\x80\"", // UTF-8-encoded surrogate (surrogatepass)
            b"\"\xed\xa0\x80\xed\xb0\x80\"", // encoded pair: Python keeps two code points
            b"\"\x00\x00\xd8\"\x00", // UTF-16-LE lone surrogate
        ];
        for body in lossy {
            let l = loads_ext(body).unwrap_or_else(|e| panic!("{body:?}: {e:?}"));
            assert!(l.lone_surrogate && !l.starlette_renderable(), "{body:?}");
        }
        let l = loads_ext(b"\"a\\ud800b\"").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(l.value, Value::String("a\u{FFFD}b".into()));
        // A proper pair joins, even via UTF-16.
        let l = loads_ext(b"\"\\ud83d\\ude00\"").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(!l.lone_surrogate);
        assert_eq!(l.value, Value::String("\u{1f600}".into()));
        // A surrogate dropped by a duplicate key no longer counts.
        let l = loads_ext(br#"{"k": "\ud800", "k": "ok"}"#).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(l.starlette_renderable());
        // Reference: a 422 whose doc holds a raw surrogate is a 500.
        let e = loads(b"{\"limit\":1, \"x\":\"\xed\xa0\x80\"");
        assert_eq!(
            e,
            Err(LoadError::DecodeUnrenderable {
                msg: "Expecting ',' delimiter".into(),
                pos: 19
            })
        );
        assert_eq!(e.map(|_| ()).unwrap_err().reference_status(), 500);
        // ...but an escaped one is just text in the doc.
        assert_eq!(decode_err(b"{\"limit\":1, \"x\":\"\\ud800\"").1, 24);
    }

    /// Bytes Python cannot decode (UnicodeDecodeError -> reference 400), all
    /// checked with `bytes.decode(json.detect_encoding(b), "surrogatepass")`.
    #[test]
    fn undecodable_bytes() {
        let cases: &[&[u8]] = &[
            b"{\"data\":\"\xff\"}",
            b"\xff",
            b"\"\xc0\x80\"",
            b"\"\xe0\x80\x80\"",
            b"\"\xf4\x90\x80\x80\"",
            b"\"\xf0\x9f\x98\"",
            b"\"\xe2\x82\"",
            b"\"\xed\xa0\"",
            b"{\x00\"\x00l\x00i\x00m\x00i\x00t\x00\"\x00:\x001\x00}\x00x", // odd UTF-16 length
            b"[\x00\x00\x00\x00\x00\x11\x00]\x00\x00\x00",                 // UTF-32 > U+10FFFF
            b"\xff\xfe1",                                                  // UTF-16 BOM, odd
        ];
        for body in cases {
            assert_eq!(loads(body), Err(LoadError::Unicode), "{body:?}");
        }
        assert_eq!(LoadError::Unicode.reference_status(), 400);
    }

    #[test]
    fn encoding_detection_like_python() {
        // Two bytes with a NUL are UTF-16 (Python: json.loads(b"1\x00") == 1).
        assert_eq!(loads(b"1\x00"), Ok(Value::from(1)));
        assert_eq!(loads(b"\x001"), Ok(Value::from(1)));
        // Three bytes are UTF-8 whatever they contain.
        assert_eq!(
            decode_err(b"1\x00\x00"),
            ("Extra data".into(), 1, "1\u{0}\u{0}".into())
        );
        // UTF-32 BOMs (LE starts like the UTF-16-LE BOM).
        assert_eq!(loads(b"\xff\xfe\x00\x001\x00\x00\x00"), Ok(Value::from(1)));
        assert_eq!(loads(b"\x00\x00\xfe\xff\x00\x00\x001"), Ok(Value::from(1)));
        // Only one UTF-8 BOM is stripped; the empty document is an error.
        assert_eq!(
            decode_err(b"\xef\xbb\xbf"),
            ("Expecting value".into(), 0, String::new())
        );
        assert_eq!(decode_err(b"\xef\xbb\xbf\xef\xbb\xbf1").2, "\u{feff}1");
    }

    #[test]
    fn deep_clone_copies_exactly_without_recursion() {
        let samples = [
            "1", "null", "[]", "{}", r#"{"a":[1,{"b":[]},{}],"c":"x","d":{"e":{"f":[[2.5]]}}}"#,
            r#"[[1,2],[3,[4,[5]]],{"k":{"k":{}}},"s",true,null]"#,
        ];
        for s in samples {
            let v = loads(s.as_bytes()).unwrap_or(Value::Null);
            assert_eq!(deep_clone(&v), v, "{s}");
            assert_eq!(to_pydantic_json(&deep_clone(&v)), to_pydantic_json(&v), "{s}");
        }
        // At the limit, on a thread far smaller than any the program runs.
        let deep = format!("{}1{}", "{\"a\":[".repeat(MAX_DEPTH / 2), "]}".repeat(MAX_DEPTH / 2));
        let v = loads(deep.as_bytes()).unwrap_or(Value::Null);
        let copied = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let c = deep_clone(&v);
                let text = to_pydantic_json(&c);
                std::mem::forget((v, c));
                text
            })
            .map(|t| t.join().ok());
        assert_eq!(copied.ok().flatten().as_deref(), Some(deep.as_str()));
    }

    #[test]
    fn nesting_limit_matches_reference_and_never_overflows() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(loads(nested(MAX_DEPTH).as_bytes()).is_ok());
        assert_eq!(
            loads(nested(MAX_DEPTH + 1).as_bytes()),
            Err(LoadError::TooDeep)
        );
        let objects = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
        let v = loads(objects(MAX_DEPTH).as_bytes()).unwrap_or(Value::Null);
        assert_eq!(nesting_depth(&v), MAX_DEPTH);
        assert_eq!(to_pydantic_json(&v), objects(MAX_DEPTH));
        assert_eq!(
            loads(objects(MAX_DEPTH + 1).as_bytes()),
            Err(LoadError::TooDeep)
        );
        // An envelope adds its own levels on top, and no more.
        let wrapped = |n: usize| format!("[{{\"data\":{}}}]", nested(n));
        assert!(loads_within(wrapped(MAX_DEPTH - 1).as_bytes(), 1).is_ok());
        assert_eq!(loads_within(wrapped(MAX_DEPTH).as_bytes(), 1), Err(LoadError::TooDeep));
        assert_eq!(loads(wrapped(MAX_DEPTH - 1).as_bytes()), Err(LoadError::TooDeep));
        // 100000 unclosed `[` (the findings case): 400 in the reference.
        let deep = "[".repeat(100_000);
        assert_eq!(loads(deep.as_bytes()), Err(LoadError::TooDeep));
        assert_eq!(LoadError::TooDeep.reference_status(), 400);
        // A syntax error before the limit is reached still wins.
        assert!(matches!(
            loads(format!("[1 {deep}").as_bytes()),
            Err(LoadError::Decode { .. })
        ));
        assert_eq!(nesting_depth(&Value::from(1)), 0);
        assert_eq!(
            nesting_depth(&loads(b"[[], {\"a\": [[1]]}]").unwrap_or(Value::Null)),
            4
        );
    }

    /// Observed on the reference: `POST /api/artifacts/ {"data": <lit>}`
    /// answers `"data":<expected>` (SQLite NUMERIC affinity on the column).
    #[test]
    fn sqlite_affinity_matches_reference() {
        let cases = [
            ("2.0", "2"),
            ("1e16", "10000000000000000"),
            ("1.5", "1.5"),
            ("123456789012345678901234567890", "1.2345678901234568e+29"),
            ("9223372036854775807", "9223372036854775807"),
            ("9223372036854775808", "9.223372036854776e+18"),
            ("-0.0", "0"),
            ("0.0", "0"),
            ("1e300", "1e+300"),
            ("1E2", "100"),
            ("0.1", "0.1"),
            ("1e-7", "1e-7"),
            ("[2.0]", "[2.0]"),
            ("\"2.0\"", "\"2.0\""),
            ("true", "true"),
        ];
        for (lit, expected) in cases {
            let v = loads(lit.as_bytes()).unwrap_or(Value::Null);
            assert_eq!(
                to_pydantic_json(&sqlite_numeric_affinity(&v)),
                expected,
                "{lit}"
            );
        }
    }

    #[test]
    fn error_statuses_and_display() {
        let e = loads(b"[1,]").map(|_| ()).unwrap_err();
        assert_eq!(e.reference_status(), 422);
        assert_eq!(e.to_string(), "Expecting value at char 3");
        assert_eq!(LoadError::IntTooLong.reference_status(), 400);
    }
}
