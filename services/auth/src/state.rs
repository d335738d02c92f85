use gridlink_db::Database;
use gridlink_http::TrustedProxies;

use crate::config::{MailSettings, MfaSettings, ThrottleSettings};
use crate::identities::RetiredIdentities;
use crate::passwords::Passwords;
use crate::secret_box::SecretBox;
use crate::tokens::TokenIssuer;

/// What every handler shares.
pub struct AppState {
    pub db: Database,
    pub passwords: Passwords,
    pub issuer: TokenIssuer,
    pub throttle: ThrottleSettings,
    pub trusted_proxies: TrustedProxies,
    pub erasure_services: Vec<String>,
    pub identities: RetiredIdentities,
    pub mail: MailSettings,
    /// Seals TOTP secrets at rest.
    pub secrets: SecretBox,
    pub mfa: MfaSettings,
}
