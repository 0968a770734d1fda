//! Mounts the app; everything else is in the library.

fn main() {
    console_error_panic_hook_lite();
    leptos::mount::mount_to_body(mqtt_playground::App);
}

/// Panics should never happen; if one does, say so in the console rather than failing
/// silently with "unreachable".
fn console_error_panic_hook_lite() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("mqtt-playground panicked: {info}").into());
    }));
}
