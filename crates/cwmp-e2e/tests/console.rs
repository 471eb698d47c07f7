//! The web console in a real headless Chromium (through chromedriver) against the real
//! `cwmp-acs` and a simulated device: logging in (API token, or user and password), the
//! pages each role uses, what each role is offered and refused, and a screenshot of each
//! page (`UPDATE_SCREENSHOTS=1` writes them to `docs/screenshots/`).

mod common;

use hyper::StatusCode;
use serde_json::json;

use common::acs::Acs;
use common::browser::{Browser, ENTER, raw_exchange, screenshot_dir};

const DEVICE: &str = "00D09E-UIBOX-SimUi0000001";
const INTERVAL: &str = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval";
const WAN_IP: &str = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.";

/// Opens the tree down to object `path` (ending with a dot), one level at a time.
fn open_tree(b: &Browser, path: &str) {
    let mut prefix = String::new();
    for seg in path.trim_end_matches('.').split('.') {
        prefix.push_str(seg);
        prefix.push('.');
        let selector = format!("details[data-path='{prefix}']");
        b.wait(&selector, "");
        b.js(
            "const d = document.querySelector(arguments[0]); if (!d.open) d.querySelector('summary').click();",
            json!([selector]),
        );
    }
}

/// Clicks the button labelled `label` in the tree row or summary of `path`.
fn tree_button(b: &Browser, path: &str, label: &str) {
    let scope = if path.ends_with('.') {
        format!("details[data-path='{path}'] > summary")
    } else {
        format!(".leaf[data-path='{path}']")
    };
    b.click(&b.wait(&format!("{scope} button"), label));
}

/// Whether the page is no wider than the window (nothing to scroll sideways).
fn fits_width(b: &Browser) -> bool {
    b.js(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1",
        json!([]),
    ) == true
}

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
            "--model",
            "tr098",
        ],
    )
}

/// Logs in with an API token through the login form.
fn login_with_token(b: &Browser, base: &str, token: &str) {
    b.goto(&format!("{base}/ui/"));
    b.click(&b.wait("#token-login summary", "API token"));
    b.fill("#token", token);
    b.click_button("#login", "Log in");
    b.wait("main h1", "Overview");
}

/// Logs in with a user name and password through the login form.
fn login(b: &Browser, base: &str, user: &str, password: &str) {
    b.goto(&format!("{base}/ui/#/overview"));
    b.fill("#username", user);
    b.fill("#password", password);
    b.click_button("#login", "Log in");
    b.wait("main h1", "Overview");
    b.wait("#whoami", user);
}

/// Logs out through the header's button.
fn logout(b: &Browser) {
    b.click_button("header", "Log out");
    b.wait("#login-error", "Logged out");
}

/// Creates a console user through the API with the admin token.
async fn make_user(acs: &Acs, name: &str, role: &str) {
    let a = acs
        .api
        .call(
            "PUT",
            &format!("/users/{name}"),
            Some(json!({"role": role, "password": format!("{name}-password")})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
}

/// The status of a change sent from the page with the session's cookie, with or without
/// its CSRF token.
fn page_post_status(b: &Browser, path: &str, with_csrf: bool) -> u64 {
    let headers = if with_csrf {
        "{'X-CSRF-Token': sessionStorage.getItem('cwmp-acs-csrf')}"
    } else {
        "{}"
    };
    let status = b.js_async(&format!(
        "const r = await fetch('{path}', {{method: 'POST', headers: {headers}}}); return r.status;"
    ));
    status.as_u64().unwrap_or_else(|| panic!("{status}"))
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
    // The overview's charts, drawn from the store: the device's firmware, one online.
    b.wait(".chart h3", "Firmware versions");
    b.wait(".chart svg text", "1.0.0");
    b.wait(".stats .stat", "online");
    let fleet = acs.api.get("/stats/fleet").await;
    assert_eq!(fleet["online"], 1, "{fleet}");
    assert_eq!(fleet["firmware"][0]["version"], "1.0.0", "{fleet}");
    b.screenshot(&shots.join("overview.png"));

    // The device list: an extra column, an expression filter with a lower-case piece of
    // the serial number, sorting by a column.
    b.goto(&format!("{base}/ui/#/devices"));
    b.wait("main h1", "Devices");
    b.click(&b.wait("main details summary", "Columns"));
    b.fill("input[aria-label='extra columns']", INTERVAL);
    b.click_button("main details form", "Apply");
    b.wait("main table th", "ManagementServer.PeriodicInformInterval");
    b.fill(
        "textarea[aria-label='filter']",
        "DeviceID.ProductClass = \"UIBOX\"",
    );
    b.fill("input[placeholder='serial contains']", "simui");
    b.click_button("form.filters", "Search");
    b.wait("main table a", DEVICE);
    b.fill(
        "textarea[aria-label='filter']",
        "DeviceID.ProductClass = \"OTHER\"",
    );
    b.click_button("form.filters", "Search");
    b.wait("main p", "No device matches");
    b.fill("textarea[aria-label='filter']", "");
    b.click_button("form.filters", "Search");
    b.click(&b.wait("main th a", "Device"));
    b.wait("main th a", "Device ▼");
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

    // Connection Request credentials set in the page (the simulator's sim/sim).
    b.click(&b.wait("main details summary", "Connection Request credentials"));
    b.fill("input[aria-label='Connection Request username']", "sim");
    b.fill("input[aria-label='Connection Request password']", "sim");
    b.click_button("main details form", "Save credentials");
    b.wait("#flash .flash", "credentials saved");
    let creds = acs
        .api
        .get(&format!("/devices/{}/credentials", common::enc(DEVICE)))
        .await;
    assert_eq!(creds["cr_username"], "sim", "{creds}");
    assert_eq!(creds["cr_password_set"], true, "{creds}");

    // The whole tree read through a Connection Request with those credentials.
    b.click_button("main .filters", "Refresh all parameters");
    b.wait("#flash .flash", "refresh all: done");
    b.wait_js(
        "the refreshed tree",
        "const t = document.querySelector('main .tree'); \
         return !!t && parseInt(t.previousElementSibling.textContent) > 20",
    );

    // A typed Set: the device's unsignedInt preselected, a non-number refused in the page,
    // the number sent as a number; the tree stays open after the action.
    open_tree(&b, "InternetGatewayDevice.ManagementServer.");
    tree_button(&b, INTERVAL, "Set…");
    let value = format!("input[aria-label='new value of {INTERVAL}']");
    b.fill(&value, "abc");
    b.click_button(&format!(".leaf[data-path='{INTERVAL}'] form"), "Set");
    b.wait("#flash .flash.error", "is not an integer");
    b.fill(&value, "1234");
    b.click_button(&format!(".leaf[data-path='{INTERVAL}'] form"), "Set");
    b.wait("#flash .flash", &format!("set {INTERVAL}: done"));
    b.wait(&format!(".leaf[data-path='{INTERVAL}'] .value"), "1234");
    assert_eq!(
        b.js(
            "return document.querySelector(\"details[data-path='InternetGatewayDevice.ManagementServer.']\").open",
            json!([]),
        ),
        true,
        "the tree keeps its open objects after an action"
    );
    let doc = acs.wait_device(DEVICE).await;
    assert_eq!(
        doc["InternetGatewayDevice"]["ManagementServer"]["PeriodicInformInterval"]["_value"], 1234,
        "{doc}"
    );

    // Add an object instance, then delete it.
    open_tree(&b, WAN_IP);
    tree_button(&b, WAN_IP, "Add instance");
    b.wait("#flash .flash", &format!("add to {WAN_IP}: done"));
    let added = format!("{WAN_IP}2.");
    b.wait(&format!("details[data-path='{added}'] > summary"), "2.");
    tree_button(&b, &added, "Delete instance");
    b.accept_dialog();
    b.wait("#flash .flash", &format!("delete {added}: done"));
    b.wait_js(
        "the deleted instance to leave the tree",
        &format!("return !document.querySelector(\"details[data-path='{added}']\")"),
    );
    b.screenshot(&shots.join("device.png"));

    // A task that faults shows its parameter and the device's reason.
    let bad = acs
        .api
        .task(
            DEVICE,
            json!({"name": "setParameterValues", "parameterValues": [[
                "InternetGatewayDevice.ManagementServer.ConnectionRequestURL", "http://x/", "xsd:string"]]}),
            Some(5000),
        )
        .await;
    assert!(bad.status.is_success(), "{}", bad.body);
    b.goto(&format!("{base}/ui/#/tasks"));
    b.wait("main table .target", "ConnectionRequestURL = \"http://x/\"");
    b.wait("main table .reason", "cwmp.9");

    b.screenshot(&shots.join("tasks.png"));
    b.goto(&format!("{base}/ui/#/faults"));
    b.wait("main h1", "Faults");
    b.screenshot(&shots.join("faults.png"));

    admin_pages(&b, &acs, &base).await;

    // A 375 px phone: nothing wider than the screen but what scrolls in its own box.
    b.resize(375, 800);
    for page in [
        "overview",
        "tasks",
        "devices",
        &format!("device/{}", common::enc(DEVICE)),
    ] {
        b.goto(&format!("{base}/ui/#/{page}"));
        b.wait("main h1", "");
        b.wait_js("the page to render", "return !document.querySelector('main > p.muted') || document.querySelectorAll('main > *').length > 1");
        assert!(fits_width(&b), "{page} is wider than 375 px");
    }
    b.js(
        "document.querySelectorAll('#flash .flash').forEach((f) => f.remove())",
        json!([]),
    );
    b.screenshot(&shots.join("device-375px.png"));

    // The icon is served without credentials.
    let (status, head, icon) = raw_exchange(acs.api.addr, "GET", "/favicon.ico", &[], b"");
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("content-type: image/"), "{head}");
    assert!(!icon.is_empty());
}

#[tokio::test]
async fn each_role_is_offered_and_allowed_only_what_it_may_do() {
    let Some(b) = Browser::start(1280, 860) else {
        return;
    };
    let acs = Acs::start(&[]);
    let _cpe = start_cpe(&acs);
    acs.wait_device(DEVICE).await;
    make_user(&acs, "ann", "admin").await;
    make_user(&acs, "vic", "viewer").await;
    let base = format!("http://{}", acs.api.addr);
    let shots = screenshot_dir();
    let device_page = format!("{base}/ui/#/device/{}", common::enc(DEVICE));

    // A wrong password is refused on the form.
    b.goto(&format!("{base}/ui/"));
    b.fill("#username", "ann");
    b.fill("#password", "not-her-password");
    b.click_button("#login", "Log in");
    b.wait("#login-error", "Wrong user name or password");

    // The admin creates an operator and a token for it in the Users page.
    login(&b, &base, "ann", "ann-password");
    assert!(b.visible("nav a", "Users") && b.visible("nav a", "Audit"));
    b.goto(&format!("{base}/ui/#/users"));
    b.wait("main h1", "Users");
    b.fill("input[aria-label='user name']", "olga");
    b.js(
        "document.querySelector(\"select[aria-label='role']\").value = 'operator'",
        json!([]),
    );
    b.fill("input[aria-label='password']", "olga-password");
    b.click_button("main form", "Save user");
    b.wait("main table td", "olga");
    b.js(
        "[...document.querySelectorAll('main table tr')].find((r) => r.textContent.includes('olga'))\
         .querySelector('button:nth-of-type(2)').click()",
        json!([]),
    );
    b.wait("main h3", "API tokens of olga");
    b.fill("input[aria-label='token label']", "nightly report");
    b.click_button("main form", "Create token");
    b.wait("main .secret", "");
    let token = b.js(
        "return document.querySelector('main .secret').textContent",
        json!([]),
    );
    let token = token.as_str().expect("token text").to_owned();
    assert_eq!(token.len(), 64, "{token}");
    b.screenshot(&shots.join("users.png"));
    // The token works on the API with the operator's rights at most.
    let me = common::api::Api {
        addr: acs.api.addr,
        token: token.clone(),
    };
    let who = me.get("/me").await;
    assert_eq!(who["role"], "operator", "{who}");
    assert_eq!(
        me.call("PUT", "/presets/p", Some(json!({"precondition": "{}"})))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The audit page lists the changes with who made them.
    b.goto(&format!("{base}/ui/#/audit"));
    b.wait("main table code", "PUT /users/olga");
    b.wait("main table td", "ann");
    b.screenshot(&shots.join("audit.png"));
    logout(&b);

    // The viewer reads the device but is offered no action, and the API refuses it.
    login(&b, &base, "vic", "vic-password");
    assert!(!b.visible("nav a", "Users"), "a viewer sees no Users page");
    b.goto(&device_page);
    b.wait("main h1", DEVICE);
    b.wait("main h2", "Parameters");
    assert!(!b.visible("main h2", "Actions"));
    assert!(!b.visible("main button", "Reboot"));
    assert!(!b.visible("main form button", "Add tag"));
    let tag_path = format!("/devices/{}/tags/x", common::enc(DEVICE));
    assert_eq!(page_post_status(&b, &tag_path, true), 403);
    b.screenshot(&shots.join("device-viewer.png"));
    logout(&b);

    // The operator acts on the device, but a change without the CSRF token is refused.
    login(&b, &base, "olga", "olga-password");
    assert!(!b.visible("nav a", "Users"));
    b.goto(&device_page);
    let tag = b.wait("input[aria-label='new tag']", "");
    b.type_into(&tag, &format!("field{ENTER}"));
    b.wait("main .tag", "field");
    assert_eq!(page_post_status(&b, &tag_path, false), 403);
    assert_eq!(page_post_status(&b, &tag_path, true), 200);
    let doc = acs.wait_device(DEVICE).await;
    let tags = doc["_tags"].as_array().cloned().unwrap_or_default();
    assert!(
        tags.contains(&json!("field")) && tags.contains(&json!("x")),
        "{doc}"
    );
}

/// Files, presets (form and JSON), provisions and virtual parameters.
async fn admin_pages(b: &Browser, acs: &Acs, base: &str) {
    let shots = screenshot_dir();
    // Files: an upload with its metadata, listed, then deleted.
    let dir = tempfile::tempdir().expect("dir");
    let fw = dir.path().join("fw-2.0.bin");
    std::fs::write(&fw, vec![7u8; 3000]).expect("write");
    b.goto(&format!("{base}/ui/#/files"));
    b.wait("main h1", "Files");
    let input = b.wait("input[aria-label='file to upload']", "");
    b.type_into(&input, &fw.display().to_string());
    b.fill("input[aria-label='OUI']", "00D09E");
    b.fill("input[aria-label='version']", "2.0");
    b.click_button("main form", "Upload");
    b.wait("main table td", "fw-2.0.bin");
    let listed = acs.api.get("/files").await;
    assert_eq!(listed[0]["metadata"]["version"], "2.0", "{listed}");
    assert_eq!(
        listed[0]["metadata"]["fileType"],
        "1 Firmware Upgrade Image"
    );
    assert_eq!(listed[0]["length"], 3000);
    b.screenshot(&shots.join("files.png"));
    b.click_button("main table", "Delete");
    b.accept_dialog();
    b.wait("main p", "No stored file");

    // Presets: made in the form, seen as JSON; a misspelled key refused inline.
    b.goto(&format!("{base}/ui/#/presets"));
    b.click_button("main", "New preset");
    b.fill("input[aria-label='preset name']", "lab-interval");
    b.fill(
        "textarea[aria-label='precondition']",
        "Tags.lab IS NOT NULL",
    );
    b.fill("input[aria-label='value']", "900");
    b.click_button(".editor", "Save");
    b.wait("main table td", "lab-interval");
    let preset = acs.api.get("/presets/lab-interval").await;
    assert_eq!(preset["configurations"][0]["value"], 900, "{preset}");
    assert_eq!(preset["precondition"], "Tags.lab IS NOT NULL", "{preset}");
    b.screenshot(&shots.join("preset-form.png"));
    b.click_button("main table", "Edit");
    b.click_button(".editor", "Form / JSON");
    b.wait("textarea[aria-label='preset JSON']", "");
    b.js(
        "const t = document.querySelector(\"textarea[aria-label='preset JSON']\"); \
         t.value = t.value.replace('\"weight\"', '\"wieght\"');",
        json!([]),
    );
    b.click_button(".editor", "Save");
    b.wait(".editor .error-text", "wieght");

    // Provisions and virtual parameters: the editor with a dry run when the ACS has the
    // routes, else the API's 404 said plainly.
    for kind in ["provisions", "virtual_parameters"] {
        b.goto(&format!("{base}/ui/#/{kind}"));
        let has_routes =
            acs.api.call("GET", &format!("/{kind}"), None).await.status != StatusCode::NOT_FOUND;
        if has_routes {
            b.click(&b.wait("main .filters button", "New"));
            b.fill("input[aria-label$='name']", "ui-test");
            b.click_button(".editor", "Save");
            b.wait("main table td", "ui-test");
            b.fill("input[aria-label='device for the dry run']", DEVICE);
            b.click_button(".editor form", "Dry run");
            b.wait(".dry-run h3", "Declarations");
        } else {
            b.wait("main .error-text", &format!("no /{kind} API (404)"));
        }
        b.screenshot(&shots.join(format!("{kind}.png")));
    }
}

#[tokio::test]
async fn an_operator_campaign_halts_when_its_canary_fails() {
    let Some(b) = Browser::start(1280, 860) else {
        return;
    };
    let acs = Acs::start(&[]);
    let _cpe = common::sim::spawn(
        &acs.cwmp_url(),
        &[
            "--devices",
            "4",
            "--oui",
            "00D09E",
            "--product-class",
            "CAMP",
            "--serial-pattern",
            "Camp{n:04}",
            "--model",
            "tr098",
        ],
    );
    for n in 1..=4 {
        let id = format!("00D09E-CAMP-Camp{n:04}");
        acs.wait_device(&id).await;
        let a = acs
            .api
            .call(
                "PATCH",
                &format!("/devices/{}/credentials", common::enc(&id)),
                Some(json!({"cr_username": "sim", "cr_password": "sim"})),
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    }
    make_user(&acs, "olga", "operator").await;
    let base = format!("http://{}", acs.api.addr);
    login(&b, &base, "olga", "olga-password");

    // Setting a parameter the devices do not let anyone write: the canary faults.
    b.goto(&format!("{base}/ui/#/campaigns"));
    b.wait("main h1", "Campaigns");
    b.fill("input[aria-label='campaign name']", "read-only URL");
    b.fill(
        "textarea[aria-label='campaign query']",
        "DeviceID.ProductClass = \"CAMP\"",
    );
    b.fill("input[aria-label='devices per minute']", "600");
    b.fill("input[aria-label='canary percent']", "25");
    b.fill("input[aria-label='failure percent']", "20");
    b.js(
        "const k = document.querySelector(\"main select[aria-label='task']\"); \
         k.value = 'setParameterValues'; k.dispatchEvent(new Event('change'));",
        json!([]),
    );
    b.fill(
        "main input[aria-label='parameter or object path']",
        "InternetGatewayDevice.ManagementServer.ConnectionRequestURL",
    );
    b.fill("main input[aria-label='value']", "http://example.invalid/");
    b.click_button(".editor form", "Queue");
    b.wait("#flash .flash", "started");
    b.wait("main table .status", "halted");
    b.click(&b.wait("main table a", "read-only URL"));
    b.wait("main h3", "Failed devices");
    b.wait("main p.error-text", "1 of 1 finished devices failed");
    b.wait("main table td", "ConnectionRequestURL 9008");
    b.screenshot(&screenshot_dir().join("campaigns.png"));
    let list = acs.api.get("/campaigns").await;
    assert_eq!(list[0]["state"], "halted", "{list}");
    assert_eq!(
        list[0]["counts"]["failed"], 1,
        "only the canary ran: {list}"
    );
    assert_eq!(list[0]["counts"]["pending"], 3, "{list}");
    assert_eq!(list[0]["created_by"], "olga");

    // The operator cancels it from the page.
    b.click_button("main table", "Cancel");
    b.accept_dialog();
    b.wait("main table .status", "cancelled");
}
