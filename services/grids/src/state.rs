use gridlink_db::Database;
use gridlink_service::CursorCodec;

/// What every handler shares.
pub struct AppState {
    pub db: Database,
    pub cursors: CursorCodec,
}
