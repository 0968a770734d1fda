//! Profiles and the share link: save the connection form under a name (`localStorage`),
//! load, rename, delete, export and import them as JSON; make a link that sets up another
//! tab. The password is stored only when the user ticks "remember in this tab", and then
//! only in `sessionStorage`.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::client_state::ClientState;
use super::prefs::BrokerPrefs;
use super::share::share_link;
use crate::driver::files;
use crate::driver::storage::Kind;
use crate::state::profiles::{remembered_password_key, ProfileBook, ProfileError, STORAGE_KEY};

/// A line under the panel: what the last action did, or why it failed.
#[derive(Clone, PartialEq, Eq)]
struct Note {
    error: bool,
    text: String,
}

fn ok(text: impl Into<String>) -> Option<Note> {
    Some(Note {
        error: false,
        text: text.into(),
    })
}

fn failed(text: impl Into<String>) -> Option<Note> {
    Some(Note {
        error: true,
        text: text.into(),
    })
}

/// The saved profiles as they are in storage now (another tab may have changed them).
fn stored_book() -> Result<ProfileBook, ProfileError> {
    match Kind::Local.read(STORAGE_KEY) {
        Some(text) => ProfileBook::from_json(&text),
        None => Ok(ProfileBook::default()),
    }
}

/// Reads the stored profiles, changes them with `change`, writes them back and shows them.
fn change_book<T>(
    book: RwSignal<ProfileBook>,
    change: impl FnOnce(&mut ProfileBook) -> Result<T, ProfileError>,
) -> Result<T, String> {
    // An unreadable list is replaced rather than blocking every save; the first load said
    // it could not be read.
    let mut current = stored_book().unwrap_or_default();
    let result = change(&mut current).map_err(|e| e.to_string())?;
    Kind::Local.write(STORAGE_KEY, &current.to_json())?;
    book.set(current);
    Ok(result)
}

/// Profiles (save, load, rename, delete, export, import) and the share link.
#[component]
pub fn ProfilesPanel() -> impl IntoView {
    let state = expect_context::<ClientState>();
    let prefs = expect_context::<BrokerPrefs>();
    let note = RwSignal::new(None::<Note>);
    let book = RwSignal::new(match stored_book() {
        Ok(book) => book,
        Err(e) => {
            note.set(failed(format!("the saved profiles cannot be read: {e}")));
            ProfileBook::default()
        }
    });
    let name = RwSignal::new(String::new());
    let remember = RwSignal::new(false);
    let renaming = RwSignal::new(None::<String>);
    let new_name = RwSignal::new(String::new());
    let link = RwSignal::new(None::<String>);

    let save = move || {
        let form = prefs.form();
        let result = change_book(book, |b| b.save(&name.get_untracked(), &form));
        note.set(match result {
            Ok(saved) => {
                let key = remembered_password_key(&saved);
                let password = prefs.password.get_untracked();
                let kept = if remember.get_untracked() && !password.is_empty() {
                    Kind::Session.write(&key, &password).map(|()| true)
                } else {
                    Kind::Session.remove(&key);
                    Ok(false)
                };
                name.set(saved.clone());
                match kept {
                    Ok(true) => ok(format!(
                        "saved '{saved}'; its password is remembered in this tab only"
                    )),
                    Ok(false) => ok(format!("saved '{saved}' (without a password)")),
                    Err(e) => failed(format!("saved '{saved}' without its password: {e}")),
                }
            }
            Err(e) => failed(e),
        });
    };
    let load = move |profile: String| {
        let Some(found) = book.with_untracked(|b| b.get(&profile).cloned()) else {
            return note.set(failed(format!("there is no profile named '{profile}'")));
        };
        let password = Kind::Session.read(&remembered_password_key(&profile));
        let remembered = password.is_some();
        prefs.apply(&found.form, password);
        name.set(profile.clone());
        remember.set(remembered);
        note.set(ok(if remembered {
            format!("loaded '{profile}' with the password remembered in this tab")
        } else {
            format!("loaded '{profile}'; type the password if the broker needs one")
        }));
    };
    let rename = move |from: String| {
        let to = new_name.get_untracked();
        match change_book(book, |b| b.rename(&from, &to)) {
            Ok(to) => {
                let old_key = remembered_password_key(&from);
                if let Some(password) = Kind::Session.read(&old_key) {
                    Kind::Session.remove(&old_key);
                    if let Err(e) = Kind::Session.write(&remembered_password_key(&to), &password) {
                        note.set(failed(format!("renamed; the password is forgotten: {e}")));
                    }
                }
                renaming.set(None);
                note.set(ok(format!("renamed '{from}' to '{to}'")));
            }
            Err(e) => note.set(failed(e)),
        }
    };
    let delete = move |profile: String| match change_book(book, |b| Ok(b.delete(&profile))) {
        Ok(_) => {
            Kind::Session.remove(&remembered_password_key(&profile));
            note.set(ok(format!("deleted '{profile}'")));
        }
        Err(e) => note.set(failed(e)),
    };
    let export = move || {
        let text = book.with_untracked(ProfileBook::to_json);
        note.set(
            match files::download("mqtt-playground-profiles.json", "application/json", &text) {
                Ok(()) => ok("exported the profiles (no passwords)"),
                Err(e) => failed(e),
            },
        );
    };
    let import = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        wasm_bindgen_futures::spawn_local(async move {
            let picked = files::read_picked(&input).await;
            input.set_value(""); // the same file may be picked again
            let result = match picked {
                None => return,
                Some(Err(e)) => Err(e),
                Some(Ok((file, text))) => ProfileBook::from_json(&text)
                    .map_err(|e| format!("{file}: {e}"))
                    .and_then(|theirs| change_book(book, |b| b.import(theirs))),
            };
            note.try_set(match result {
                Ok(done) => ok(format!(
                    "imported {} new profile(s), replaced {}",
                    done.added, done.replaced
                )),
                Err(e) => failed(e),
            });
        });
    };
    let share = move || {
        let url = share_link(state, prefs);
        link.set(Some(url.clone()));
        let Some(window) = web_sys::window() else {
            return;
        };
        let copying = window.navigator().clipboard().write_text(&url);
        wasm_bindgen_futures::spawn_local(async move {
            let copied = wasm_bindgen_futures::JsFuture::from(copying).await.is_ok();
            note.try_set(ok(if copied {
                "share link copied: it holds no password, user name or client id"
            } else {
                "share link below (this browser did not let the page copy it): it holds no \
                 password, user name or client id"
            }));
        });
    };

    let names = move || {
        book.with(|b| {
            b.profiles
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="panel profiles" data-testid="profiles">
            <h2>"Profiles"</h2>
            <form
                class="row"
                on:submit=move |ev| {
                    ev.prevent_default();
                    save()
                }
            >
                <input
                    type="text"
                    class="grow"
                    data-testid="profile-name"
                    placeholder="profile name"
                    bind:value=name
                />
                <button type="submit" data-testid="profile-save">
                    "Save"
                </button>
            </form>
            <label
                class="check"
                title="Keeps the password in sessionStorage: this tab only, gone when it closes. Without it, profiles never hold a password."
            >
                <input
                    type="checkbox"
                    data-testid="profile-remember-password"
                    bind:checked=remember
                />
                <span>"Remember the password in this tab"</span>
            </label>
            <ul class="profile-list">
                <For
                    each=names
                    key=|n| n.clone()
                    children=move |profile| {
                        let (p1, p2, p3, p4) = (
                            profile.clone(),
                            profile.clone(),
                            profile.clone(),
                            profile.clone(),
                        );
                        let editing = move || renaming.with(|r| r.as_deref() == Some(&p1));
                        view! {
                            <li data-testid="profile-entry" data-name=profile.clone()>
                                <Show
                                    when=editing
                                    fallback=move || {
                                        view! { <span class="grow name">{p2.clone()}</span> }
                                    }
                                >
                                    <form
                                        class="grow row"
                                        on:submit={
                                            let from = p3.clone();
                                            move |ev| {
                                                ev.prevent_default();
                                                rename(from.clone())
                                            }
                                        }
                                    >
                                        <input
                                            type="text"
                                            class="grow"
                                            data-testid="profile-rename-input"
                                            bind:value=new_name
                                        />
                                        <button type="submit" data-testid="profile-rename-confirm">
                                            "OK"
                                        </button>
                                    </form>
                                </Show>
                                <button
                                    type="button"
                                    data-testid="profile-load"
                                    on:click={
                                        let profile = profile.clone();
                                        move |_| load(profile.clone())
                                    }
                                >
                                    "Load"
                                </button>
                                <button
                                    type="button"
                                    data-testid="profile-rename"
                                    on:click={
                                        let profile = profile.clone();
                                        move |_| {
                                            new_name.set(profile.clone());
                                            renaming
                                                .update(|r| {
                                                    *r = match r.take() {
                                                        Some(open) if open == profile => None,
                                                        _ => Some(profile.clone()),
                                                    };
                                                })
                                        }
                                    }
                                >
                                    "Rename"
                                </button>
                                <button
                                    type="button"
                                    class="icon"
                                    title="Delete this profile"
                                    data-testid="profile-delete"
                                    on:click=move |_| delete(p4.clone())
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
            <Show when=move || book.with(|b| b.profiles.is_empty())>
                <p class="hint">
                    "No profiles yet: name the settings above and save them. Passwords are not saved."
                </p>
            </Show>
            <div class="row">
                <button type="button" data-testid="profile-export" on:click=move |_| export()>
                    "Export"
                </button>
                <label class="button">
                    "Import"
                    <input
                        type="file"
                        class="visually-hidden"
                        accept="application/json,.json"
                        data-testid="profile-import"
                        on:change=import
                    />
                </label>
                <span class="grow"></span>
                <button
                    type="button"
                    data-testid="share-link"
                    title="A link that fills in this broker, its options and subscriptions in another tab and connects (no password, user name or client id)"
                    on:click=move |_| share()
                >
                    "Share link"
                </button>
            </div>
            <Show when=move || link.with(Option::is_some)>
                <input
                    type="text"
                    readonly
                    class="share-url"
                    data-testid="share-link-url"
                    prop:value=move || link.get().unwrap_or_default()
                    on:focus=|ev| {
                        if let Some(input) = ev
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                        {
                            input.select();
                        }
                    }
                />
            </Show>
            {move || {
                note.get()
                    .map(|n| {
                        view! {
                            <p
                                class=if n.error { "form-error" } else { "hint" }
                                data-testid="profile-note"
                                role="status"
                            >
                                {n.text}
                            </p>
                        }
                    })
            }}
        </section>
    }
}
