//! Files in and out of the page: a download made of text (a `Blob`, an object URL and a
//! temporary `<a download>`), and the text of a file the user picked in an
//! `<input type="file">`. Errors are sentences; nothing here decides what the text means.

use gloo_timers::callback::Timeout;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Offers `text` as a file named `name` of type `mime` to the user.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| format!("could not make the file: {}", describe(&e)))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|e| format!("could not make the file: {}", describe(&e)))?;
    let result = click_link(name, &url);
    // The download has started from the click; give the browser a moment before the URL
    // (and the memory behind it) goes.
    Timeout::new(10_000, move || {
        if web_sys::Url::revoke_object_url(&url).is_err() {
            // Nothing to do: the page's memory is reclaimed when it closes.
        }
    })
    .forget();
    result
}

fn click_link(name: &str, url: &str) -> Result<(), String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document to download from")?;
    let body = document.body().ok_or("no document body to download from")?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| describe(&e))?
        .dyn_into()
        .map_err(|_| "could not make a link".to_string())?;
    link.set_href(url);
    link.set_download(name);
    link.set_hidden(true);
    body.append_child(&link).map_err(|e| describe(&e))?;
    link.click();
    link.remove();
    Ok(())
}

/// The first file picked in `input` (name and text), or `None` when none was picked.
pub async fn read_picked(
    input: &web_sys::HtmlInputElement,
) -> Option<Result<(String, String), String>> {
    let file = input.files()?.get(0)?;
    let name = file.name();
    let text = JsFuture::from(file.text())
        .await
        .map_err(|e| format!("could not read {name}: {}", describe(&e)))
        .and_then(|text| {
            text.as_string()
                .ok_or_else(|| format!("could not read {name}: not text"))
        });
    Some(text.map(|text| (name, text)))
}

fn describe(error: &JsValue) -> String {
    js_sys::Error::from(error.clone())
        .to_string()
        .as_string()
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "no reason given".to_string())
}
