//! The web console in a real headless Chromium (through chromedriver) against the real
//! `cwmp-acs` and a simulated device: logging in, the pages an operator uses, actions on a
//! device, and a screenshot of each page (`UPDATE_SCREENSHOTS=1` writes them to
//! `docs/screenshots/`).

mod common;

use serde_json::json;

use common::acs::Acs;
use common::browser::{Browser, ENTER, raw_exchange, screenshot_dir};

const DEVICE: &str = "00D09E-UIBOX-SimUi0000001";

/// One simulated TR-181 device with a mixed-case serial number, Connection Requests on.
fn start_cpe(acs: &Acs) -> cwmp_testkit::process::Process {
    common::sim::spawn(
        &acs.cwmp_url(),
        &[
            "--devices",
            "1",
            "--oui",
            "00D09E",
            "--product-class",
            "UIBOX",
            "--serial-pattern",
            "SimUi{n:07}",
        ],
    )
}

/// Logs in with the admin token through the login form.
fn login_with_token(b: &Browser, base: &str, token: &str) {
    b.goto(&format!("{base}/ui/"));
    b.fill("#token", token);
    b.click_button("#login", "Log in");
    b.wait("main h1", "Overview");
}

#[tokio::test]
async fn an_admin_runs_the_main_flows_in_the_browser() {
    let Some(b) = Browser::start(1280, 860) else {
        return;
    };
    let acs = Acs::start(&[]);
    let _cpe = start_cpe(&acs);
    acs.wait_device(DEVICE).await;
    let base = format!("http://{}", acs.api.addr);
    let shots = screenshot_dir();

    login_with_token(&b, &base, &acs.api.token);
    b.screenshot(&shots.join("overview.png"));

    // The device list finds the device by a lower-case piece of its serial number.
    b.goto(&format!("{base}/ui/#/devices"));
    b.wait("main h1", "Devices");
    b.fill("input[placeholder='serial contains']", "simui");
    b.click_button("form.filters", "Search");
    b.wait("main table a", DEVICE);
    b.screenshot(&shots.join("devices.png"));

    // The device page: Enter in the tag box adds the tag.
    b.click(&b.wait("main table a", DEVICE));
    b.wait("main h1", DEVICE);
    let tag = b.wait("input[aria-label='new tag']", "");
    b.type_into(&tag, &format!("lab{ENTER}"));
    b.wait("main .tag", "lab");
    let doc = acs.wait_device(DEVICE).await;
    assert_eq!(doc["_tags"], json!(["lab"]), "{doc}");
    b.screenshot(&shots.join("device.png"));

    for (page, title) in [
        ("tasks", "Tasks"),
        ("faults", "Faults"),
        ("presets", "Presets"),
    ] {
        b.goto(&format!("{base}/ui/#/{page}"));
        b.wait("main h1", title);
        b.screenshot(&shots.join(format!("{page}.png")));
    }

    // The icon is served without credentials.
    let (status, head, icon) = raw_exchange(acs.api.addr, "GET", "/favicon.ico", &[], b"");
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("content-type: image/"), "{head}");
    assert!(!icon.is_empty());
}
