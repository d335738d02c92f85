use gridlink_db::Database;

use crate::db::links::Writes;
use gridlink_service::CursorCodec;
use grids_client::GridsClient;

/// What every handler shares.
pub struct AppState {
    pub db: Database,
    pub writes: Writes,
    pub cursors: CursorCodec,
    pub grids: GridsClient,
}
