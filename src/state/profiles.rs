//! Saved connection profiles: named [`ConnectForm`]s, kept in `localStorage` and exported or
//! imported as one JSON file of the same form.
//!
//! A profile never holds a password: [`ConnectForm`] has no field for one, and user
//! information in the URL (`ws://user:password@host`) is cut off when saving. The page may
//! remember a profile's password in `sessionStorage` (this tab only) under
//! [`remembered_password_key`], when the user asks.
//!
//! ```json
//! {"format":"mqtt-playground profiles",
//!  "profiles":[{"keep_alive":"30","name":"lab","url":"ws://127.0.0.1:9001/mqtt"}],
//!  "version":1}
//! ```
//!
//! Each profile is its name plus [`ConnectForm::to_json`] (fields at their defaults left
//! out); keys are written in alphabetical order and read in any order.

use serde_json::Value;

use super::broker_url::without_userinfo;
use super::connect_form::{json_text, parse_json, ConnectForm, Fields, FormatError, Writer};

/// `localStorage` key of the saved profiles.
pub const STORAGE_KEY: &str = "mqtt-playground.profiles.v1";
/// The `format` field of the JSON.
pub const FORMAT: &str = "mqtt-playground profiles";
/// The version this page writes and reads.
pub const VERSION: u64 = 1;
/// At most this many profiles are kept; saving one more is refused.
pub const MAX_PROFILES: usize = 100;

/// The `sessionStorage` key under which a profile's password is remembered in this tab.
pub fn remembered_password_key(name: &str) -> String {
    format!("mqtt-playground.password.v1\n{name}")
}

/// One saved profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub form: ConnectForm,
}

/// Why a profile could not be saved, renamed, read or imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("give the profile a name first")]
    NoName,
    #[error("a profile named '{0}' exists already")]
    Exists(String),
    #[error("there is no profile named '{0}'")]
    Unknown(String),
    #[error("at most {MAX_PROFILES} profiles are kept: delete one first")]
    Full,
    #[error("this is not a profile list: {0}")]
    Format(#[from] FormatError),
    #[error("this is not a profile list (its \"format\" is not \"{FORMAT}\")")]
    NotProfiles,
    #[error("these profiles were written by a newer version of the page (version {0})")]
    Newer(u64),
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub added: usize,
    pub replaced: usize,
}

/// The saved profiles, in the order they were first saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileBook {
    pub profiles: Vec<Profile>,
}

fn clean_name(name: &str) -> Result<String, ProfileError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ProfileError::NoName);
    }
    Ok(name.to_string())
}

/// `form` as it may be stored: no user information in the URL.
fn storable(form: &ConnectForm) -> ConnectForm {
    ConnectForm {
        url: without_userinfo(form.url.trim()),
        ..form.clone()
    }
}

impl ProfileBook {
    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// Saves `form` under `name`, replacing a profile of that name; the name used.
    pub fn save(&mut self, name: &str, form: &ConnectForm) -> Result<String, ProfileError> {
        let name = clean_name(name)?;
        let form = storable(form);
        let full = self.profiles.len() >= MAX_PROFILES;
        match self.profiles.iter_mut().find(|p| p.name == name) {
            Some(profile) => profile.form = form,
            None if full => return Err(ProfileError::Full),
            None => self.profiles.push(Profile {
                name: name.clone(),
                form,
            }),
        }
        Ok(name)
    }

    /// Renames `from` to `to`; the new name.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<String, ProfileError> {
        let to = clean_name(to)?;
        if to != from && self.get(&to).is_some() {
            return Err(ProfileError::Exists(to));
        }
        let profile = self
            .profiles
            .iter_mut()
            .find(|p| p.name == from)
            .ok_or_else(|| ProfileError::Unknown(from.to_string()))?;
        profile.name.clone_from(&to);
        Ok(to)
    }

    /// Deletes `name`; whether it was there.
    pub fn delete(&mut self, name: &str) -> bool {
        let before = self.profiles.len();
        self.profiles.retain(|p| p.name != name);
        self.profiles.len() != before
    }

    /// Adds the profiles of `other`; one with a name already here replaces it.
    pub fn import(&mut self, other: ProfileBook) -> Result<Imported, ProfileError> {
        let mut done = Imported {
            added: 0,
            replaced: 0,
        };
        for profile in other.profiles {
            if self.get(&profile.name).is_some() {
                done.replaced += 1;
            } else if self.profiles.len() >= MAX_PROFILES {
                return Err(ProfileError::Full);
            } else {
                done.added += 1;
            }
            self.save(&profile.name, &profile.form)?;
        }
        Ok(done)
    }

    /// The JSON document (storage and export file).
    pub fn to_json(&self) -> String {
        let profiles = self
            .profiles
            .iter()
            .map(|p| {
                let mut object = p.form.to_json();
                object.insert("name".into(), Value::from(p.name.as_str()));
                Value::Object(object)
            })
            .collect::<Vec<_>>();
        let document = Writer::default()
            .value("format", Value::from(FORMAT))
            .value("version", Value::from(VERSION))
            .value("profiles", Value::Array(profiles))
            .done();
        json_text(&Value::Object(document))
    }

    /// Reads what [`ProfileBook::to_json`] wrote.
    pub fn from_json(text: &str) -> Result<Self, ProfileError> {
        let value = parse_json(text)?;
        let document = Fields::of(&value, "")?;
        if document.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(ProfileError::NotProfiles);
        }
        match document.get("version").and_then(Value::as_u64) {
            Some(VERSION) => {}
            Some(newer) if newer > VERSION => return Err(ProfileError::Newer(newer)),
            _ => {
                return Err(FormatError::Invalid {
                    field: "version",
                    problem: format!("this page reads version {VERSION}"),
                }
                .into())
            }
        }
        let mut book = ProfileBook::default();
        for item in document.array("profiles")? {
            let fields = Fields::of(item, "profiles[]")?;
            let mut name = String::new();
            fields.text("name", &mut name)?;
            if name.trim().is_empty() {
                return Err(FormatError::Missing { field: "name" }.into());
            }
            let form = ConnectForm::from_json(&fields)?;
            book.save(&name, &form)?;
        }
        Ok(book)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::connect_form::tests::full_form;

    fn book(names: &[&str]) -> ProfileBook {
        let mut book = ProfileBook::default();
        for name in names {
            book.save(name, &ConnectForm::default()).unwrap();
        }
        book
    }

    fn names(book: &ProfileBook) -> Vec<&str> {
        book.profiles.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn profiles_survive_the_json_round_trip() {
        let mut book = book(&["empty"]);
        book.save("full", &full_form()).unwrap();
        let text = book.to_json();
        assert_eq!(ProfileBook::from_json(&text), Ok(book));
        assert!(text.starts_with(r#"{"format":"mqtt-playground profiles","profiles":["#));
        assert!(text.ends_with(r#"],"version":1}"#));
    }

    #[test]
    fn saving_cuts_user_information_out_of_the_url() {
        let mut book = ProfileBook::default();
        let form = ConnectForm {
            url: "ws://student:s3cret@broker:9001/mqtt".into(),
            ..ConnectForm::default()
        };
        book.save("p", &form).unwrap();
        assert_eq!(book.profiles[0].form.url, "ws://broker:9001/mqtt");
        assert!(!book.to_json().contains("s3cret"));
    }

    #[test]
    fn save_replaces_a_profile_of_the_same_name_and_needs_a_name() {
        let mut book = book(&["a", "b"]);
        let form = ConnectForm {
            keep_alive: "5".into(),
            ..ConnectForm::default()
        };
        assert_eq!(book.save(" a ", &form), Ok("a".to_string()));
        assert_eq!(names(&book), ["a", "b"]);
        assert_eq!(book.get("a").unwrap().form.keep_alive, "5");
        assert_eq!(book.save("  ", &form), Err(ProfileError::NoName));
    }

    #[test]
    fn rename_refuses_a_taken_name_and_delete_removes() {
        let mut book = book(&["a", "b"]);
        assert_eq!(book.rename("a", "b"), Err(ProfileError::Exists("b".into())));
        assert_eq!(book.rename("a", "c"), Ok("c".to_string()));
        assert_eq!(
            book.rename("x", "y"),
            Err(ProfileError::Unknown("x".into()))
        );
        assert_eq!(names(&book), ["c", "b"]);
        assert!(book.delete("c"));
        assert!(!book.delete("c"));
        assert_eq!(names(&book), ["b"]);
    }

    #[test]
    fn import_adds_new_names_and_replaces_known_ones() {
        let mut mine = book(&["a", "b"]);
        let mut theirs = book(&["b", "c"]);
        theirs.profiles[0].form.keep_alive = "9".into();
        assert_eq!(
            mine.import(theirs),
            Ok(Imported {
                added: 1,
                replaced: 1
            })
        );
        assert_eq!(names(&mine), ["a", "b", "c"]);
        assert_eq!(mine.get("b").unwrap().form.keep_alive, "9");
    }

    #[test]
    fn other_documents_are_refused_with_a_sentence() {
        let error = |text: &str| ProfileBook::from_json(text).unwrap_err().to_string();
        assert!(error("not json").starts_with("this is not a profile list: it is not JSON"));
        assert_eq!(
            error(r#"{"format":"something else"}"#),
            "this is not a profile list (its \"format\" is not \"mqtt-playground profiles\")"
        );
        assert_eq!(
            error(r#"{"format":"mqtt-playground profiles","version":2,"profiles":[]}"#),
            "these profiles were written by a newer version of the page (version 2)"
        );
        assert_eq!(
            error(r#"{"format":"mqtt-playground profiles","version":1,"profiles":[{"url":"x"}]}"#),
            "this is not a profile list: field \"name\" is missing"
        );
    }

    #[test]
    fn the_number_of_profiles_is_bounded() {
        let mut book = ProfileBook::default();
        for i in 0..MAX_PROFILES {
            book.save(&i.to_string(), &ConnectForm::default()).unwrap();
        }
        assert_eq!(
            book.save("one more", &ConnectForm::default()),
            Err(ProfileError::Full)
        );
        assert!(book.save("0", &ConnectForm::default()).is_ok());
    }
}
