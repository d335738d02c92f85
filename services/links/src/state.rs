use gridlink_db::PgPool;
use gridlink_ids::CursorCodec;
use grids_client::GridsClient;

/// What every handler shares.
pub struct AppState {
    pub pool: PgPool,
    pub cursors: CursorCodec,
    pub grids: GridsClient,
}
