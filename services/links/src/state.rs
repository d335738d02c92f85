use gridlink_db::Database;

use crate::db::links::Writes;
use crate::grid_copies::GridCopies;
use gridlink_service::CursorCodec;
use grids_client::GridsClient;

/// What every handler shares.
pub struct AppState {
    pub db: Database,
    pub writes: Writes,
    pub cursors: CursorCodec,
    pub grids: GridsClient,
    /// The service's copy of grid owners and visibility, and when to believe it.
    pub copies: GridCopies,
}
