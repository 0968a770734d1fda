//! Share links: a URL whose fragment sets up the client view — broker URL, protocol, session
//! options, MQTT 5 options, last will and subscriptions — so a teacher can hand a class one
//! link. Opening it fills the form, adds the subscriptions and connects.
//!
//! The fragment is `#client?share=<base64url of JSON, no padding>`; the JSON is
//! [`ConnectForm::to_json`] (defaults left out) with `"v":1` and `"subscriptions":[["a/#",1]]`,
//! e.g. `{"subscriptions":[["#",0]],"url":"ws://127.0.0.1:9001/mqtt","v":1}` (keys sorted).
//!
//! A link never carries secrets: there is no password field at all, the URL loses its user
//! information (`ws://user:password@host`), and the user name and client id are left out (each
//! student logs in as themself, and two clients with one id would take the connection from
//! each other). Decoding applies the same rules, so a hand-made link cannot set them either.

use mqtt_session::topic::validate_topic_filter;
use mqtt_session::QoS;
use serde_json::Value;

use super::base64;
use super::broker_url::without_userinfo;
use super::connect_form::{json_text, parse_json, ConnectForm, Fields, FormatError, Writer};

/// The version of the JSON inside a link.
pub const VERSION: u64 = 1;
/// The fragment's view and parameter.
pub const PREFIX: &str = "#client?share=";
/// A longer parameter is refused before decoding (browsers keep far longer URLs, but a
/// setup is a few hundred bytes).
pub const MAX_ENCODED: usize = 16 * 1024;
/// At most this many subscriptions in one link.
pub const MAX_SUBSCRIPTIONS: usize = 100;

/// What a share link sets up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedSetup {
    pub form: ConnectForm,
    pub subscriptions: Vec<(String, QoS)>,
}

/// Why a share link cannot be opened, as a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShareError {
    #[error("this share link is damaged: its setup is not base64url text")]
    NotBase64,
    #[error("this share link is too long ({0} characters; at most {MAX_ENCODED})")]
    TooLong(usize),
    #[error("this share link is damaged: its setup is not UTF-8 text")]
    NotText,
    #[error("this share link is damaged: {0}")]
    Format(#[from] FormatError),
    #[error("this share link was made by a newer version of the page (version {0})")]
    Newer(u64),
    #[error("this share link's subscription '{filter}' is not a topic filter: {problem}")]
    BadFilter { filter: String, problem: String },
    #[error("this share link has more than {MAX_SUBSCRIPTIONS} subscriptions")]
    TooManySubscriptions,
}

/// The share parameter of a URL fragment (`#client?share=…`, other parameters allowed).
pub fn share_param(hash: &str) -> Option<&str> {
    let query = hash.strip_prefix("#client?")?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("share="))
        .filter(|p| !p.is_empty())
}

/// base64url without padding (RFC 4648 §5): safe in a URL fragment as it is.
fn encode_base64url(bytes: &[u8]) -> String {
    base64::encode(bytes)
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    if text.contains(['+', '/', '=']) || text.len() % 4 == 1 {
        return None;
    }
    let mut standard = text.replace('-', "+").replace('_', "/");
    while standard.len() % 4 != 0 {
        standard.push('=');
    }
    base64::decode(&standard)
}

/// What of `form` may travel in a link (see the module doc).
fn shareable(form: &ConnectForm) -> ConnectForm {
    ConnectForm {
        url: without_userinfo(form.url.trim()),
        username: String::new(),
        client_id: String::new(),
        ..form.clone()
    }
}

impl SharedSetup {
    /// The setup of `form` and `subscriptions`, without what a link must not carry.
    pub fn new(form: &ConnectForm, subscriptions: Vec<(String, QoS)>) -> Self {
        Self {
            form: shareable(form),
            subscriptions,
        }
    }

    /// The share parameter: base64url of the JSON.
    pub fn encode(&self) -> String {
        let subscriptions = self
            .subscriptions
            .iter()
            .map(|(filter, qos)| {
                Value::from(vec![Value::from(filter.as_str()), (*qos as u8).into()])
            })
            .collect::<Vec<_>>();
        let mut object = Writer::default().value("v", Value::from(VERSION)).done();
        object.extend(shareable(&self.form).to_json());
        if !subscriptions.is_empty() {
            object.insert("subscriptions".into(), Value::Array(subscriptions));
        }
        encode_base64url(json_text(&Value::Object(object)).as_bytes())
    }

    /// The fragment that opens this setup in the client view.
    pub fn fragment(&self) -> String {
        format!("{PREFIX}{}", self.encode())
    }

    /// Reads a share parameter.
    pub fn decode(param: &str) -> Result<Self, ShareError> {
        let param = param.trim();
        if param.len() > MAX_ENCODED {
            return Err(ShareError::TooLong(param.len()));
        }
        let bytes = decode_base64url(param).ok_or(ShareError::NotBase64)?;
        let text = String::from_utf8(bytes).map_err(|_| ShareError::NotText)?;
        let value = parse_json(&text)?;
        let fields = Fields::of(&value, "")?;
        match fields.get("v").map(Value::as_u64) {
            Some(Some(VERSION)) => {}
            Some(Some(newer)) if newer > VERSION => return Err(ShareError::Newer(newer)),
            _ => {
                return Err(FormatError::Invalid {
                    field: "v",
                    problem: format!("this page reads version {VERSION}"),
                }
                .into())
            }
        }
        let form = shareable(&ConnectForm::from_json(&fields)?);
        let items = fields.array("subscriptions")?;
        if items.len() > MAX_SUBSCRIPTIONS {
            return Err(ShareError::TooManySubscriptions);
        }
        let subscriptions = items
            .iter()
            .map(subscription)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            form,
            subscriptions,
        })
    }
}

/// `["filter", qos]`.
fn subscription(item: &Value) -> Result<(String, QoS), ShareError> {
    let wrong = || FormatError::WrongType {
        field: "subscriptions[]".into(),
        expected: "a pair [\"topic filter\", QoS 0 to 2]",
    };
    let pair = item.as_array().filter(|a| a.len() == 2).ok_or_else(wrong)?;
    let filter = pair[0].as_str().ok_or_else(wrong)?;
    let qos = pair[1]
        .as_u64()
        .and_then(|q| u8::try_from(q).ok())
        .and_then(QoS::from_u8)
        .ok_or_else(wrong)?;
    validate_topic_filter(filter).map_err(|e| ShareError::BadFilter {
        filter: filter.to_string(),
        problem: e.to_string(),
    })?;
    Ok((filter.to_string(), qos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::connect_form::tests::full_form;

    fn setup() -> SharedSetup {
        SharedSetup::new(
            &full_form(),
            vec![
                ("class/1/#".into(), QoS::AtLeastOnce),
                ("sensor/+/temperature".into(), QoS::AtMostOnce),
            ],
        )
    }

    #[test]
    fn a_setup_survives_the_round_trip_through_a_fragment() {
        let setup = setup();
        let fragment = setup.fragment();
        assert!(fragment.starts_with("#client?share="));
        let param = share_param(&fragment).unwrap();
        assert!(param
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(SharedSetup::decode(param), Ok(setup));
    }

    #[test]
    fn a_link_carries_no_secrets_user_name_or_client_id() {
        let form = ConnectForm {
            url: "ws://student:i_make_mqtt_cool@broker/mqtt".into(),
            ..full_form()
        };
        let setup = SharedSetup::new(&form, Vec::new());
        let json = String::from_utf8(decode_base64url(&setup.encode()).unwrap()).unwrap();
        assert!(!json.contains("i_make_mqtt_cool"), "{json}");
        assert!(!json.contains("student"), "{json}");
        assert!(
            !json.contains("teacher") && !json.contains("class-1"),
            "{json}"
        );
        assert!(json.contains(r#""url":"ws://broker/mqtt""#), "{json}");
        // A hand-made link cannot set them either.
        let crafted = encode_base64url(
            br#"{"v":1,"url":"ws://u:p@h/mqtt","username":"u","client_id":"same-for-all"}"#,
        );
        let opened = SharedSetup::decode(&crafted).unwrap();
        assert_eq!(opened.form.url, "ws://h/mqtt");
        assert_eq!(
            (
                opened.form.username.as_str(),
                opened.form.client_id.as_str()
            ),
            ("", "")
        );
    }

    #[test]
    fn the_smallest_link_is_short() {
        let form = ConnectForm {
            url: "ws://127.0.0.1:9001/mqtt".into(),
            ..ConnectForm::default()
        };
        let setup = SharedSetup::new(&form, vec![("#".into(), QoS::AtMostOnce)]);
        let json = String::from_utf8(decode_base64url(&setup.encode()).unwrap()).unwrap();
        assert_eq!(
            json,
            r##"{"subscriptions":[["#",0]],"url":"ws://127.0.0.1:9001/mqtt","v":1}"##
        );
    }

    #[test]
    fn garbage_is_refused_with_a_sentence() {
        let error = |param: &str| SharedSetup::decode(param).unwrap_err().to_string();
        assert_eq!(
            error("not base64!"),
            "this share link is damaged: its setup is not base64url text"
        );
        assert_eq!(
            error("a+b/"),
            "this share link is damaged: its setup is not base64url text"
        );
        assert_eq!(
            error(&encode_base64url(&[0xff, 0xfe])),
            "this share link is damaged: its setup is not UTF-8 text"
        );
        assert!(error(&encode_base64url(b"{\"v\":1,"))
            .starts_with("this share link is damaged: it is not JSON"));
        assert_eq!(
            error(&encode_base64url(br#"{"url":"x"}"#)),
            "this share link is damaged: field \"v\": this page reads version 1"
        );
        assert_eq!(
            error(&encode_base64url(br#"{"v":7}"#)),
            "this share link was made by a newer version of the page (version 7)"
        );
        let why = validate_topic_filter("a/#/b").unwrap_err();
        assert_eq!(
            error(&encode_base64url(
                br#"{"v":1,"subscriptions":[["a/#/b",0]]}"#
            )),
            format!("this share link's subscription 'a/#/b' is not a topic filter: {why}")
        );
        assert_eq!(
            error(&encode_base64url(br#"{"v":1,"subscriptions":[["a",3]]}"#)),
            "this share link is damaged: field \"subscriptions[]\" should be a pair \
             [\"topic filter\", QoS 0 to 2]"
        );
        assert!(error(&"A".repeat(MAX_ENCODED + 4)).contains("too long"));
    }

    #[test]
    fn the_parameter_is_found_in_the_client_fragment_only() {
        assert_eq!(share_param("#client?share=abc"), Some("abc"));
        assert_eq!(share_param("#client?x=1&share=abc"), Some("abc"));
        assert_eq!(share_param("#client?share="), None);
        assert_eq!(share_param("#client"), None);
        assert_eq!(share_param("#playground?share=abc"), None);
    }
}
