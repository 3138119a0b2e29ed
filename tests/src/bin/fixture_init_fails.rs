//! Test fixture: a handler whose init-once state cannot be built, to prove the failure is
//! reported to `/runtime/init/error`.

use stepcraft::handler;

struct Database;

async fn connect() -> Result<Database, std::io::Error> {
    Err(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "database at 10.0.0.1:5432 refused the connection"))
}

#[derive(Debug, thiserror::Error, stepcraft::Error)]
enum Never {}

#[handler(init = connect)]
async fn fixture_init_fails(event: serde_json::Value, database: &Database) -> Result<serde_json::Value, Never> {
    let _ = database;
    Ok(event)
}
