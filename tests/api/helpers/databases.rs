//! Fresh stores per test: a PostgreSQL database copied from a migrated template, and a
//! MongoDB database name of its own. Both are dropped when the test ends.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use tokio::sync::OnceCell;
use uuid::Uuid;

const DEFAULT_ADMIN_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";
const DEFAULT_MONGO_URL: &str = "mongodb://127.0.0.1:27017/?directConnection=true";
/// Serialises template builds across concurrent test processes.
const TEMPLATE_LOCK_KEY: i64 = 0x5374_6f63_6b72;

pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

pub fn mongo_url() -> String {
    std::env::var("TEST_MONGODB_URL").unwrap_or_else(|_| DEFAULT_MONGO_URL.to_owned())
}

fn url_for_database(name: &str) -> String {
    let mut url = url::Url::parse(&admin_url()).expect("TEST_DATABASE_URL is a URL");
    url.set_path(name);
    url.to_string()
}

pub async fn admin_connection() -> AsyncPgConnection {
    AsyncPgConnection::establish(&admin_url())
        .await
        .unwrap_or_else(|e| {
            panic!("cannot reach PostgreSQL at TEST_DATABASE_URL ({e}); run scripts/test.sh")
        })
}

#[derive(QueryableByName)]
struct DatabaseName {
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    datname: String,
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    let found: Vec<DatabaseName> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(name)
            .load(conn)
            .await
            .expect("query pg_database");
    !found.is_empty()
}

/// The template's name changes with the migrations, so a changed migration gets a new one.
fn template_name() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("diesel_migrations");
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in files {
        file.strip_prefix(&dir).unwrap().hash(&mut hasher);
        std::fs::read(&file).unwrap().hash(&mut hasher);
    }
    format!("stockroom_tpl_{:016x}", hasher.finish())
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flat_map(|entry| {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// Builds the migrated template once per process (and reuses one a previous run left).
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            let mut admin = admin_connection().await;
            admin
                .batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"))
                .await
                .unwrap();
            if !database_exists(&mut admin, &name).await {
                let building = format!("{name}_building");
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                    .await
                    .unwrap();
                admin
                    .batch_execute(&format!("CREATE DATABASE {building}"))
                    .await
                    .unwrap();
                stockroom::repo::pg::run_pending_migrations(&url_for_database(&building))
                    .await
                    .expect("migrations apply to the template");
                // Publishing by rename: a template either exists fully migrated or not at all.
                admin
                    .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .await
                    .unwrap();
            }
            admin
                .batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"))
                .await
                .unwrap();
            name
        })
        .await
}

pub struct TestDatabase {
    pub name: String,
    pub url: String,
    /// Dropped with this value (a second handle on another test's database is not).
    owned: bool,
}

impl TestDatabase {
    /// A database with nothing in it, not even the migrations (for start-up races).
    pub async fn create_empty() -> Self {
        let name = format!("stockroom_test_{}", Uuid::new_v4().simple());
        let mut admin = admin_connection().await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("creating {name}: {e}"));
        let url = url_for_database(&name);
        Self {
            name,
            url,
            owned: true,
        }
    }

    /// Another handle on `self`'s database, which stays `self`'s to drop.
    pub fn share(&self) -> Self {
        Self {
            name: self.name.clone(),
            url: self.url.clone(),
            owned: false,
        }
    }

    pub async fn create() -> Self {
        let template = template().await;
        let name = format!("stockroom_test_{}", Uuid::new_v4().simple());
        let mut admin = admin_connection().await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .unwrap_or_else(|e| panic!("creating {name} from {template}: {e}"));
        let url = url_for_database(&name);
        Self {
            name,
            url,
            owned: true,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        let name = self.name.clone();
        run_detached(async move {
            let mut admin = admin_connection().await;
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        });
    }
}

pub struct TestMongo {
    pub name: String,
    owned: bool,
}

impl TestMongo {
    pub fn create() -> Self {
        Self {
            name: format!("stockroom_test_{}", Uuid::new_v4().simple()),
            owned: true,
        }
    }

    /// Another handle on `self`'s database, which stays `self`'s to drop.
    pub fn share(&self) -> Self {
        Self {
            name: self.name.clone(),
            owned: false,
        }
    }

    /// A client straight to MongoDB (never through a test's proxy), for assertions; it
    /// fails fast when MongoDB is not there. (A client per call: a client's background
    /// tasks live on the runtime that made it, and each test has its own runtime.)
    pub async fn database(&self) -> mongodb::Database {
        let mut options = mongodb::options::ClientOptions::parse(mongo_url())
            .await
            .expect("TEST_MONGODB_URL");
        options.server_selection_timeout = Some(std::time::Duration::from_secs(5));
        mongodb::Client::with_options(options)
            .expect("MongoDB client")
            .database(&self.name)
    }

    pub fn upstream_addr(&self) -> SocketAddr {
        let url = url::Url::parse(&mongo_url()).expect("TEST_MONGODB_URL is a URL");
        let host = url.host_str().expect("MongoDB host");
        let port = url.port().unwrap_or(27017);
        (host, port)
            .to_socket_addrs()
            .expect("resolve MongoDB host")
            .next()
            .expect("an address")
    }
}

impl Drop for TestMongo {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        let name = self.name.clone();
        run_detached(async move {
            if let Ok(client) = mongodb::Client::with_uri_str(mongo_url()).await {
                let _ = client.database(&name).drop().await;
            }
        });
    }
}

/// Runs clean-up to completion from a `Drop`, on a runtime of its own.
fn run_detached(cleanup: impl std::future::Future<Output = ()> + Send + 'static) {
    let _ = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(cleanup);
    })
    .join();
}
