//! Mounts the app; everything else is in the library.

fn main() {
    console_error_panic_hook_lite();
    // `?socket=page`: WebSockets on the page's thread instead of a worker each (for the
    // benchmark's comparison, and to rule the worker out when chasing a problem).
    let search = web_sys::window().and_then(|w| w.location().search().ok());
    if search.is_some_and(|s| s.contains("socket=page")) {
        mqtt_playground::driver::relay::set_enabled(false);
    }
    leptos::mount::mount_to_body(mqtt_playground::App);
}

/// Panics should never happen; if one does, say so in the console rather than failing
/// silently with "unreachable".
fn console_error_panic_hook_lite() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("mqtt-playground panicked: {info}").into());
    }));
}
