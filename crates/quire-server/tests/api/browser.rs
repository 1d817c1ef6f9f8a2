//! The browser-test harness: headless Chromium driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`, which `.ci/run` installs). Each test gets its own browser; a failing
//! step leaves a screenshot in `target/browser-screenshots/`.
//!
//! Without a chromedriver on the machine the browser tests say so and pass, so that the
//! README's test command works from a fresh clone; CI sets `QUIRE_REQUIRE_BROWSER=1`, which
//! turns a missing browser into a failure.

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use futures::FutureExt;
use serde_json::json;
use std::{
    panic::AssertUnwindSafe,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Mutex,
    time::Duration,
};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

pub struct Browser {
    pub client: Client,
    driver: Child,
    test: &'static str,
    step: Mutex<&'static str>,
}

impl Browser {
    /// A headless browser for `test`, or `None` (after saying why) when none is installed
    /// and CI does not require one.
    pub async fn start(test: &'static str) -> Option<Self> {
        if !std::path::Path::new(CHROMEDRIVER).exists() {
            assert!(
                std::env::var_os("QUIRE_REQUIRE_BROWSER").is_none(),
                "QUIRE_REQUIRE_BROWSER is set but {CHROMEDRIVER} is missing: \
                 apt-get install chromium chromium-driver"
            );
            eprintln!("skipping browser test {test}: {CHROMEDRIVER} is not installed");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900"],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..100 {
            match ClientBuilder::rustls()
                .expect("a TLS configuration")
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Self {
                        client,
                        driver,
                        test,
                        step: Mutex::new("start"),
                    });
                }
                Err(error) => last_error = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not start a browser session: {last_error:?}");
    }

    /// Runs the test's steps; when one panics, saves a screenshot named after the step, closes
    /// the browser and fails.
    pub async fn run(mut self, steps: impl AsyncFnOnce(&Self)) {
        let outcome = AssertUnwindSafe(steps(&self)).catch_unwind().await;
        if outcome.is_err() {
            self.screenshot().await;
        }
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }

    /// Names the step now running (for the screenshot of a failure).
    pub fn step(&self, name: &'static str) {
        *self
            .step
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = name;
    }

    async fn screenshot(&self) {
        let step = *self
            .step
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("{}-{step}.png", self.test));
        match self.client.screenshot().await {
            Ok(png) => {
                let _ = std::fs::write(&path, png);
                eprintln!("screenshot of the failed step: {}", path.display());
            }
            Err(error) => eprintln!("no screenshot: {error}"),
        }
    }

    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("the page opens");
    }

    /// The first element matching `css`, waiting up to five seconds for it.
    pub async fn find(&self, css: &str) -> Element {
        self.find_within(css, Duration::from_secs(5)).await
    }

    /// The first element matching `css`, waiting up to `wait` for it (long work).
    pub async fn find_within(&self, css: &str, wait: Duration) -> Element {
        self.client
            .wait()
            .at_most(wait)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no element {css}: {error}"))
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Clicks a link or button that loads a page, and waits until the next page has loaded (or
    /// a confirmation dialog opened: [`Browser::accept_dialog`] waits for the page then), so
    /// the next step never reads the page it left.
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.mark_page().await;
        element.click().await.expect("click");
        self.wait_for_next_page().await;
    }

    /// Clicks what changes the page in place (a checkbox, an option of a select).
    pub async fn choose(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Accepts the confirmation dialog a destructive action opens, and waits for the page the
    /// action loads.
    pub async fn accept_dialog(&self) {
        for _ in 0..50 {
            if self.client.accept_alert().await.is_ok() {
                self.wait_for_next_page().await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no confirmation dialog appeared");
    }

    /// Marks the current document, so that a new one can be told apart from it.
    async fn mark_page(&self) {
        self.client
            .execute("window.__quireOldPage = true; return true;", vec![])
            .await
            .expect("mark the page");
    }

    /// Waits up to ten seconds for a document without the mark to finish loading; returns at
    /// once while a dialog is open (the page is left only once it is answered).
    async fn wait_for_next_page(&self) {
        let probe = "return window.__quireOldPage === true ? 'old' : document.readyState;";
        for _ in 0..200 {
            // Asked first: a script run while a dialog is open would dismiss it.
            if self.client.get_alert_text().await.is_ok() {
                return;
            }
            if let Ok(state) = self.client.execute(probe, vec![]).await
                && state == "complete"
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the next page did not load within 10 s");
    }

    /// The body of `path` fetched by the page's own script, with the browser's session (for
    /// downloads, which do not open as pages).
    pub async fn fetch(&self, path: &str) -> String {
        let script = "const done = arguments[arguments.length - 1]; \
                      fetch(arguments[0]).then((r) => r.text()).then(done, (e) => done(String(e)));";
        self.client
            .execute_async(script, vec![json!(path)])
            .await
            .expect("fetch")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_owned()
    }
}
