use gridlink_db::Database;
use gridlink_service::CursorCodec;
use grids_client::GridsClient;

/// What every handler shares.
pub struct AppState {
    pub db: Database,
    pub cursors: CursorCodec,
    pub grids: GridsClient,
}
