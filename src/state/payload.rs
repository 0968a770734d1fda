//! The payload views of the log's detail pane: text, pretty JSON, a hex dump and base64.
//!
//! Each is made from the exact bytes received (the log keeps them as `Bytes`), never from
//! text decoded and encoded again, so a hex dump or base64 of a payload that is not UTF-8
//! is still byte for byte what the broker sent (MQTTX #2000 showed re-encoded text). The
//! pretty printer only re-indents: keys keep their order, numbers and strings their exact
//! spelling. What is rendered is capped (`limit`, in bytes of text) so a 10 MB payload
//! does not freeze the page; the view offers "show all".

use super::base64;

/// At most this much text is rendered until the user asks for all of it.
pub const RENDER_LIMIT: usize = 512 * 1024;

/// How a payload is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    Text,
    Json,
    Hex,
    Base64,
}

impl PayloadKind {
    pub const ALL: [PayloadKind; 4] = [
        PayloadKind::Text,
        PayloadKind::Json,
        PayloadKind::Hex,
        PayloadKind::Base64,
    ];

    /// The value of the view's select.
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadKind::Text => "text",
            PayloadKind::Json => "json",
            PayloadKind::Hex => "hex",
            PayloadKind::Base64 => "base64",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PayloadKind::Text => "Text",
            PayloadKind::Json => "JSON (pretty)",
            PayloadKind::Hex => "Hex dump",
            PayloadKind::Base64 => "Base64",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// Text when the payload is UTF-8, else a hex dump.
    pub fn default_for(payload: &[u8]) -> Self {
        if std::str::from_utf8(payload).is_ok() {
            PayloadKind::Text
        } else {
            PayloadKind::Hex
        }
    }
}

/// A payload rendered for a text node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// Why the text is not quite what was asked for (not UTF-8, invalid JSON: where).
    pub remark: Option<String>,
    /// The limit cut the text short.
    pub truncated: bool,
}

/// `payload` shown as `kind`, at most about `limit` bytes of text.
pub fn render(payload: &[u8], kind: PayloadKind, limit: usize) -> Rendered {
    match kind {
        PayloadKind::Text => text(payload, limit),
        PayloadKind::Json => json(payload, limit),
        PayloadKind::Hex => {
            let lines = (limit / HEX_LINE).max(1);
            let shown = payload.len().min(lines * 16);
            Rendered {
                text: hex_dump(&payload[..shown]),
                remark: None,
                truncated: shown < payload.len(),
            }
        }
        PayloadKind::Base64 => {
            let shown = payload.len().min((limit / 4).max(1) * 3);
            Rendered {
                text: base64::encode(&payload[..shown]),
                remark: None,
                truncated: shown < payload.len(),
            }
        }
    }
}

fn text(payload: &[u8], limit: usize) -> Rendered {
    let shown = &payload[..payload.len().min(limit)];
    let truncated = shown.len() < payload.len();
    match std::str::from_utf8(shown) {
        Ok(text) => Rendered {
            text: text.to_string(),
            remark: None,
            truncated,
        },
        // Cut in the middle of a character by the limit: still text.
        Err(e) if e.error_len().is_none() && truncated => Rendered {
            text: String::from_utf8_lossy(&shown[..e.valid_up_to()]).into_owned(),
            remark: None,
            truncated,
        },
        Err(e) => Rendered {
            text: String::from_utf8_lossy(shown).into_owned(),
            remark: Some(format!(
                "not UTF-8 (from byte {}): bytes that are not text are shown as \u{fffd}",
                e.valid_up_to()
            )),
            truncated,
        },
    }
}

fn json(payload: &[u8], limit: usize) -> Rendered {
    let source = match std::str::from_utf8(payload) {
        Ok(source) => source,
        Err(e) => {
            let mut shown = text(payload, limit);
            shown.remark = Some(format!(
                "not JSON: not UTF-8 (byte {} is not part of a character)",
                e.valid_up_to()
            ));
            return shown;
        }
    };
    // serde_json's parser (the playground's decoder links it already) checks the syntax
    // and says where it breaks; the printer below only re-indents what it accepted.
    // `IgnoredAny` builds nothing and has no opinion on a number's range (2e400 is JSON).
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(source) {
        let mut shown = text(payload, limit);
        shown.remark = Some(format!("not valid JSON: {e}"));
        return shown;
    }
    let (text, truncated) = pretty_json(source, limit);
    Rendered {
        text,
        remark: None,
        truncated,
    }
}

/// Re-indents valid JSON: two spaces, one key or element per line, `{}` and `[]` when
/// empty. Tokens are copied as they are. Stops after about `limit` bytes (whether it did).
fn pretty_json(source: &str, limit: usize) -> (String, bool) {
    let bytes = source.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(source.len().min(limit) + source.len() / 4);
    let mut depth = 0usize;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 2));
    };
    let mut i = 0;
    while i < bytes.len() {
        if out.len() >= limit {
            return (cut_to_char(out, limit), true);
        }
        let b = bytes[i];
        match b {
            b'"' => {
                // A string, copied with its escapes; the parser has checked it ends.
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                out.extend_from_slice(&bytes[start..(i + 1).min(bytes.len())]);
            }
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                let next = bytes[i + 1..]
                    .iter()
                    .position(|c| !c.is_ascii_whitespace())
                    .map(|n| i + 1 + n);
                match next {
                    Some(n) if bytes[n] == close => {
                        out.extend_from_slice(&[b, close]);
                        i = n;
                    }
                    _ => {
                        out.push(b);
                        depth += 1;
                        newline(&mut out, depth);
                    }
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(b);
            }
            b',' => {
                out.push(b',');
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => out.push(b),
        }
        i += 1;
    }
    (cut_to_char(out, usize::MAX), false)
}

/// The first `limit` bytes of `out` (valid UTF-8: copied from a `&str` at ASCII
/// boundaries), shortened to a character boundary.
fn cut_to_char(mut out: Vec<u8>, limit: usize) -> String {
    if out.len() > limit {
        out.truncate(limit);
    }
    match String::from_utf8(out) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes).unwrap_or_default()
        }
    }
}

/// Bytes of text per hex dump line, newline included.
const HEX_LINE: usize = 79;

/// `hexdump -C`'s layout: offset, 16 bytes in two groups of 8, and the printable ASCII
/// characters between bars (others as `.`); lines separated by `\n`.
pub fn hex_dump(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len().div_ceil(16) * HEX_LINE);
    for (line, chunk) in bytes.chunks(16).enumerate() {
        if line > 0 {
            out.push('\n');
        }
        out.push_str(&format!("{:08x} ", line * 16));
        for column in 0..16 {
            if column % 8 == 0 {
                out.push(' ');
            }
            match chunk.get(column) {
                Some(b) => {
                    out.push(char::from(DIGITS[usize::from(b >> 4)]));
                    out.push(char::from(DIGITS[usize::from(b & 0xf)]));
                    out.push(' ');
                }
                None => out.push_str("   "),
            }
        }
        out.push_str(" |");
        out.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        }));
        out.push('|');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(payload: &[u8], kind: PayloadKind) -> Rendered {
        render(payload, kind, RENDER_LIMIT)
    }

    #[test]
    fn the_default_view_is_text_for_utf8_and_hex_otherwise() {
        assert_eq!(PayloadKind::default_for(b"21.5"), PayloadKind::Text);
        assert_eq!(PayloadKind::default_for(&[0xff, 0]), PayloadKind::Hex);
        for kind in PayloadKind::ALL {
            assert_eq!(PayloadKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn pretty_json_keeps_key_order_and_token_spelling() {
        let source = r#" {"z":1.50,"a":[1, 2e400,{"s":"x,{y}:\"q\\"}],"e":{ },"l":[ ],"n":null} "#;
        let expected = r#"{
  "z": 1.50,
  "a": [
    1,
    2e400,
    {
      "s": "x,{y}:\"q\\"
    }
  ],
  "e": {},
  "l": [],
  "n": null
}"#;
        let r = shown(source.as_bytes(), PayloadKind::Json);
        assert_eq!(r.text, expected);
        assert_eq!((r.remark, r.truncated), (None, false));
        assert_eq!(
            shown(b"\"caf\xc3\xa9\"", PayloadKind::Json).text,
            "\"café\""
        );
        assert_eq!(shown(b"[]", PayloadKind::Json).text, "[]");
    }

    #[test]
    fn invalid_json_says_where_it_breaks_and_still_shows_the_text() {
        let r = shown(b"{\n  \"a\": 1,\n}", PayloadKind::Json);
        assert_eq!(r.text, "{\n  \"a\": 1,\n}");
        let remark = r.remark.unwrap_or_default();
        assert!(remark.starts_with("not valid JSON: "), "{remark}");
        assert!(remark.contains("line 3 column 1"), "{remark}");
        let r = shown(&[b'{', 0xff, b'}'], PayloadKind::Json);
        assert_eq!(
            r.remark.as_deref(),
            Some("not JSON: not UTF-8 (byte 1 is not part of a character)")
        );
    }

    #[test]
    fn the_hex_dump_is_hexdump_c_with_offsets_and_an_ascii_gutter() {
        let mut payload = b"{\"t\":21.5}\n\x00\xff caf".to_vec();
        payload.extend_from_slice("é".as_bytes());
        let expected = "\
00000000  7b 22 74 22 3a 32 31 2e  35 7d 0a 00 ff 20 63 61  |{\"t\":21.5}... ca|
00000010  66 c3 a9                                          |f..|";
        assert_eq!(hex_dump(&payload), expected);
        assert_eq!(shown(&payload, PayloadKind::Hex).text, expected);
        assert_eq!(hex_dump(&[]), "");
        // Every line is as long as the layout says (the cap relies on it).
        let line = hex_dump(&[0x41; 16]);
        assert_eq!(line.len() + 1, HEX_LINE);
    }

    #[test]
    fn base64_is_of_the_exact_bytes() {
        let r = shown(&[0xff, 0x00, 0xfe, b'a'], PayloadKind::Base64);
        assert_eq!(r.text, "/wD+YQ==");
        assert_eq!(shown(b"", PayloadKind::Base64).text, "");
    }

    #[test]
    fn text_that_is_not_utf8_says_so() {
        let r = shown(b"ok\xffok", PayloadKind::Text);
        assert_eq!(r.text, "ok\u{fffd}ok");
        assert!(r.remark.unwrap_or_default().contains("from byte 2"));
    }

    #[test]
    fn every_view_is_capped_and_says_so() {
        let big = vec![b'7'; 10_000];
        for kind in PayloadKind::ALL {
            let r = render(&big, kind, 1000);
            assert!(r.truncated, "{kind:?}");
            assert!(
                r.text.len() <= 1000 + HEX_LINE,
                "{kind:?}: {}",
                r.text.len()
            );
            let all = render(&big, kind, usize::MAX);
            assert!(!all.truncated, "{kind:?}");
        }
        assert_eq!(render(&big, PayloadKind::Base64, 1000).text.len(), 1000);
        assert_eq!(
            render(&big, PayloadKind::Hex, 1000).text.lines().count(),
            12
        );
        // A cut inside a character keeps the text valid.
        let r = render("ééé".as_bytes(), PayloadKind::Text, 3);
        assert_eq!((r.text.as_str(), r.truncated), ("é", true));
        let json = format!("[\"{}\"]", "é".repeat(100));
        let r = render(json.as_bytes(), PayloadKind::Json, 10);
        assert!(r.truncated && r.text.starts_with("[\n  \"é"), "{}", r.text);
    }
}
