//! Test support shared by Quire's crates: a fresh database per test (a temp SQLite file, or
//! a new PostgreSQL database dropped afterwards), a macro to run a test on both, a fake
//! OpenAI-compatible server, a `quire serve` child process, a TCP proxy that can stop, and a
//! check that sanitised HTML is harmless.

pub mod fake_openai;
pub mod html_safety;
pub mod process;
pub mod tcp_proxy;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn name(backend: Backend)` once per backend, as
/// `sqlite::name` and `postgres::name`. PostgreSQL runs when `QUIRE_TEST_POSTGRES_URL` is set.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::postgres_url().is_some() {
                        super::$name($crate::Backend::Postgres).await;
                    } else {
                        eprintln!("skipped: QUIRE_TEST_POSTGRES_URL is not set");
                    }
                }
            )*
        }
    };
}

pub fn postgres_url() -> Option<String> {
    std::env::var("QUIRE_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

/// Where a test's database lives, and how to get rid of it.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres_name: Option<String>,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("quire.db").display()
                );
                Self {
                    url,
                    _dir: Some(dir),
                    postgres_name: None,
                }
            }
            Backend::Postgres => {
                let admin = postgres_url().expect("QUIRE_TEST_POSTGRES_URL");
                let name = format!("quire_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = admin_connection(&admin).await;
                sqlx::Executor::execute(
                    &mut conn,
                    sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
                )
                .await
                .expect("create test database");
                Self {
                    url: with_database(&admin, &name),
                    _dir: None,
                    postgres_name: Some(name),
                }
            }
        }
    }
}

impl TestDatabase {
    /// The PostgreSQL server's address, for a proxy in front of it.
    pub fn postgres_address(&self) -> std::net::SocketAddr {
        let url = url::Url::parse(&self.url).expect("database URL");
        let host = url.host_str().expect("host").to_owned();
        let port = url.port().unwrap_or(5432);
        std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
            .expect("resolve the database host")
            .next()
            .expect("an address")
    }

    /// This database's URL with the server at `address` instead (a proxy in front of it).
    pub fn url_through(&self, address: std::net::SocketAddr) -> String {
        let mut url = url::Url::parse(&self.url).expect("database URL");
        url.set_ip_host(address.ip()).expect("set host");
        url.set_port(Some(address.port())).expect("set port");
        url.to_string()
    }
}

async fn admin_connection(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url)
        .await
        .expect("connect to QUIRE_TEST_POSTGRES_URL")
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let prefix = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    match query {
        Some(query) => format!("{prefix}/{name}?{query}"),
        None => format!("{prefix}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        let Some(admin) = postgres_url() else { return };
        // Drop runs outside async; a short-lived runtime on its own thread drops the database.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let mut conn = admin_connection(&admin).await;
                let _ = sqlx::Executor::execute(
                    &mut conn,
                    sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")),
                )
                .await;
            });
        })
        .join();
    }
}
