//! The publish panel's tools: repeat the form's message (count, interval, progress), the
//! history of the last publishes and saved snippets. Decisions are in
//! `state::publish_tools`; this wires them.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;

use super::client_state::ClientState;
use super::property_fields::is_v5;
use super::publish_panel::{notify_history, publish_draft_quietly, PublishForm};
use crate::driver::clock::now_ms;
use crate::driver::pace::Pacer;
use crate::driver::storage::Kind;
use crate::state::publish_tools::{parse_repeat, Draft, RepeatRun, Snippets, SNIPPETS_KEY};

/// The line that names a draft in a list.
fn summary(draft: &Draft) -> String {
    let mut payload: String = draft.payload.chars().take(40).collect();
    if payload.len() < draft.payload.len() {
        payload.push('…');
    }
    let retain = if draft.retain { " · retained" } else { "" };
    format!(
        "{} · {} · QoS {}{retain}",
        draft.topic,
        if payload.is_empty() {
            "(empty)"
        } else {
            &payload
        },
        draft.qos as u8
    )
}

/// Publishes the form's message `count` times, one every `interval` ms (0: as fast as the
/// socket takes them), from a timer-driven task: the page stays responsive, the socket's
/// unsent bytes are kept under a bound, and the run stops when the connection drops.
#[component]
pub fn RepeatControls(
    /// The publish form whose message is repeated (read when the run starts).
    form: PublishForm,
    /// Where a refused start is shown (the panel's error line).
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let state = expect_context::<ClientState>();
    let v5 = is_v5();
    let count = RwSignal::new("10".to_string());
    let interval = RwSignal::new("1000".to_string());
    let run = RwSignal::new(None::<RepeatRun>);
    let stop_flag: StoredValue<Rc<Cell<bool>>, LocalStorage> =
        StoredValue::new_local(Rc::new(Cell::new(false)));
    let running = move || run.with(|r| r.as_ref().is_some_and(RepeatRun::is_running));

    let stop = move |why: &str| {
        if let Some(flag) = stop_flag.try_get_value() {
            flag.set(true);
        }
        run.try_update(|r| {
            if let Some(r) = r {
                r.stop(why)
            }
        });
    };
    let start = move || {
        let (total, interval_ms) =
            match parse_repeat(&count.get_untracked(), &interval.get_untracked()) {
                Ok(fields) => fields,
                Err(e) => return error.set(Some(e.to_string())),
            };
        if !state.is_connected() {
            return error.set(Some(
                "connect first: a repeat runs while the connection is up".into(),
            ));
        }
        error.set(None);
        stop("a new repeat started");
        let flag = Rc::new(Cell::new(false));
        stop_flag.set_value(flag.clone());
        let draft = form.draft();
        let v5 = v5();
        run.set(Some(RepeatRun::start(total, interval_ms)));
        wasm_bindgen_futures::spawn_local(async move {
            let started = now_ms();
            let mut pacer = Pacer::new();
            loop {
                if flag.get() {
                    break;
                }
                if !state.is_connected() {
                    run.try_update(|r| r.as_mut().map(|r| r.stop("the connection was lost")));
                    break;
                }
                if let Err(e) = publish_draft_quietly(state, &draft, v5) {
                    run.try_update(|r| r.as_mut().map(|r| r.stop(e)));
                    break;
                }
                // Counted (and recorded in the history) without telling the views; they
                // learn at each turn given to the page (or each timed message), not per
                // message.
                let Some(Some(Some(due))) = run.try_update_untracked(|r| {
                    r.as_mut().filter(|r| r.is_running()).map(|r| {
                        r.sent_one();
                        r.is_running().then(|| r.next_due_ms())
                    })
                }) else {
                    run.notify();
                    break; // stopped, finished, or the panel is gone
                };
                if interval_ms > 0 {
                    run.notify();
                    notify_history(state);
                    let wait = (started + due - now_ms()).max(0.0);
                    TimeoutFuture::new(wait as u32).await;
                } else if pacer.should_yield(state.buffered_amount()) {
                    run.notify();
                    notify_history(state);
                    pacer
                        .yield_turn(|| state.buffered_amount(), || flag.get())
                        .await;
                }
            }
            notify_history(state);
        });
    };
    on_cleanup(move || stop("the panel was closed"));

    view! {
        <details class="options" data-testid="publish-repeat">
            <summary>"Repeat"</summary>
            <div class="row">
                <label>
                    <span>"Messages"</span>
                    <input
                        type="number"
                        min="1"
                        data-testid="publish-repeat-count"
                        bind:value=count
                    />
                </label>
                <label>
                    <span>"Every (ms)"</span>
                    <input
                        type="number"
                        min="0"
                        data-testid="publish-repeat-interval"
                        title="0: as fast as the connection takes them"
                        bind:value=interval
                    />
                </label>
                <span class="grow"></span>
                <button
                    type="button"
                    data-testid="publish-repeat-start"
                    disabled=running
                    on:click=move |_| start()
                >
                    "Start"
                </button>
                <button
                    type="button"
                    data-testid="publish-repeat-stop"
                    disabled=move || !running()
                    on:click=move |_| stop("stopped by you")
                >
                    "Stop"
                </button>
            </div>
            {move || {
                run.with(|r| {
                    r.as_ref()
                        .map(|r| {
                            view! {
                                <p class="hint" data-testid="publish-repeat-progress" role="status">
                                    <progress max=r.total value=r.sent></progress>
                                    " "
                                    {r.text()}
                                </p>
                            }
                        })
                })
            }}
        </details>
    }
}

/// The last publishes, newest first; a click puts one back in the form.
#[component]
pub fn HistoryList(
    /// The form a line refills.
    form: PublishForm,
) -> impl IntoView {
    let state = expect_context::<ClientState>();
    let entries = move || {
        state.history.with(|h| {
            let first = h.recorded;
            h.entries
                .iter()
                .enumerate()
                .map(|(i, e)| (first - i as u64, e.clone()))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <details class="options" data-testid="publish-history">
            <summary>"History (" {move || state.history.with(|h| h.entries.len())} ")"</summary>
            <ul class="draft-list">
                <For
                    each=entries
                    key=|(id, entry)| (*id, entry.times)
                    children=move |(_, entry)| {
                        let draft = entry.draft.clone();
                        let times = (entry.times > 1).then(|| format!(" ×{}", entry.times));
                        view! {
                            <li>
                                <button
                                    type="button"
                                    class="link"
                                    data-testid="publish-history-entry"
                                    title="Put this message back in the form"
                                    on:click=move |_| form.fill(&draft)
                                >
                                    {summary(&entry.draft)}
                                    {times}
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </details>
    }
}

/// Snippets: the form saved under a name in `localStorage`; a click puts one back.
#[component]
pub fn SnippetsView(
    /// The form a snippet is made from and refills.
    form: PublishForm,
) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let read = move || match Kind::Local.read(SNIPPETS_KEY) {
        None => Snippets::default(),
        Some(text) => Snippets::from_json(&text).unwrap_or_else(|e| {
            problem.set(Some(e.to_string()));
            Snippets::default()
        }),
    };
    let snippets = RwSignal::new(read());
    let name = RwSignal::new(String::new());
    // Read again before each change: another tab may have saved snippets too.
    let change = move |f: &dyn Fn(&mut Snippets) -> Result<(), String>| {
        let mut current = read();
        let result =
            f(&mut current).and_then(|()| Kind::Local.write(SNIPPETS_KEY, &current.to_json()));
        if result.is_ok() {
            snippets.set(current);
        }
        problem.set(result.err());
    };
    let save = move || {
        let draft = form.draft();
        change(&|s| {
            s.save(&name.get_untracked(), &draft)
                .map(drop)
                .map_err(|e| e.to_string())
        });
        if problem.with_untracked(Option::is_none) {
            name.set(String::new());
        }
    };
    let list = move || {
        snippets.with(|s| {
            s.list
                .iter()
                .map(|s| (s.name.clone(), s.draft.clone()))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <details class="options" data-testid="snippets">
            <summary>"Snippets (" {move || snippets.with(|s| s.list.len())} ")"</summary>
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
                    data-testid="snippet-name"
                    placeholder="name (default: the topic)"
                    bind:value=name
                />
                <button type="submit" data-testid="snippet-save">
                    "Save the form"
                </button>
            </form>
            <ul class="draft-list">
                <For
                    each=list
                    key=|(name, draft)| (name.clone(), summary(draft))
                    children=move |(snippet, draft)| {
                        let title = summary(&draft);
                        let gone = snippet.clone();
                        view! {
                            <li class="row">
                                <button
                                    type="button"
                                    class="link grow"
                                    data-testid="snippet-entry"
                                    title=title
                                    on:click=move |_| form.fill(&draft)
                                >
                                    {snippet}
                                </button>
                                <button
                                    type="button"
                                    class="icon"
                                    title="Delete this snippet"
                                    data-testid="snippet-delete"
                                    on:click=move |_| {
                                        change(
                                            &|s| {
                                                s.delete(&gone);
                                                Ok(())
                                            },
                                        )
                                    }
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
            <Show when=move || problem.with(Option::is_some)>
                <p class="form-error" role="alert">
                    {move || problem.get().unwrap_or_default()}
                </p>
            </Show>
        </details>
    }
}
