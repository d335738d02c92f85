use gridlink_db::PgPool;
use gridlink_ids::CursorCodec;

/// What every handler shares.
pub struct AppState {
    pub pool: PgPool,
    pub cursors: CursorCodec,
}
