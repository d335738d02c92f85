//! Sign-in sessions and their refresh tokens. A session's refresh tokens
//! rotate on use (stored as SHA-256 hashes); presenting a used one again
//! ends the session. Ending a session writes `user.sessions_revoked` to the
//! outbox in the same transaction, so every verifier refuses its access
//! tokens within a second.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use gridlink_access_token::{Revocation, RevocationList};
use gridlink_db::DbError;
use gridlink_events::SessionsRevoked;
use gridlink_ids::{SessionId, UserId};

use super::Conn;
use super::schema::{deleted_users, refresh_tokens, sessions, users};

/// A live session, as its owner lists it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub slug: SessionId,
    pub client: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A refresh token to store: its hash and when it expires.
pub struct NewRefresh {
    pub hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

/// A session to start.
pub struct NewSession<'a> {
    pub user_id: i64,
    pub user: &'a UserId,
    pub client: &'a str,
    /// The session's absolute end.
    pub expires_at: DateTime<Utc>,
    pub refresh: NewRefresh,
    /// Live sessions a user may have; the oldest beyond it end.
    pub max_live: i64,
}

/// Which of a user's live sessions to end.
pub enum Which<'a> {
    One(&'a SessionId),
    /// Every one, but this one if given.
    AllBut(Option<&'a SessionId>),
}

fn live() -> diesel::dsl::And<
    diesel::dsl::IsNull<sessions::revoked_at>,
    diesel::dsl::Gt<sessions::expires_at, diesel::dsl::now>,
> {
    sessions::revoked_at
        .is_null()
        .and(sessions::expires_at.gt(diesel::dsl::now))
}

async fn insert_refresh(
    conn: &mut Conn,
    session_id: i64,
    refresh: NewRefresh,
) -> Result<(), DbError> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::token_hash.eq(refresh.hash),
            refresh_tokens::expires_at.eq(refresh.expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends the user's sessions that match `filter` and announces each.
pub(super) async fn end(
    conn: &mut Conn,
    user_id: i64,
    user: &UserId,
    which: Which<'_>,
) -> Result<Vec<SessionId>, DbError> {
    let mut query = diesel::update(sessions::table)
        .filter(sessions::user_id.eq(user_id))
        .filter(live())
        .into_boxed();
    query = match which {
        Which::One(sid) => query.filter(sessions::slug.eq(sid)),
        Which::AllBut(Some(keep)) => query.filter(sessions::slug.ne(keep)),
        Which::AllBut(None) => query,
    };
    let ended: Vec<SessionId> = query
        .set(sessions::revoked_at.eq(diesel::dsl::now))
        .returning(sessions::slug)
        .get_results(conn)
        .await?;
    announce(conn, user, &ended).await?;
    Ok(ended)
}

async fn announce(conn: &mut Conn, user: &UserId, ended: &[SessionId]) -> Result<(), DbError> {
    for sid in ended {
        let event = SessionsRevoked::session(user.clone(), sid.clone());
        gridlink_events::outbox::enqueue(conn, &event).await?;
    }
    Ok(())
}

/// Starts a session with its first refresh token, and ends the user's oldest
/// live sessions beyond `max_live`. Returns the new session's id.
pub async fn start(conn: &mut Conn, new: NewSession<'_>) -> Result<SessionId, DbError> {
    let sid = SessionId::generate();
    conn.transaction::<_, DbError, _>(async |conn| {
        let id: i64 = diesel::insert_into(sessions::table)
            .values((
                sessions::slug.eq(&sid),
                sessions::user_id.eq(new.user_id),
                sessions::client.eq(new.client),
                sessions::expires_at.eq(new.expires_at),
            ))
            .returning(sessions::id)
            .get_result(conn)
            .await?;
        insert_refresh(conn, id, new.refresh).await?;
        let beyond_cap: Vec<i64> = sessions::table
            .filter(sessions::user_id.eq(new.user_id))
            .filter(live())
            .order((sessions::created_at.desc(), sessions::id.desc()))
            .offset(new.max_live)
            .select(sessions::id)
            .load(conn)
            .await?;
        let ended: Vec<SessionId> = diesel::update(sessions::table)
            .filter(sessions::id.eq_any(beyond_cap))
            .set(sessions::revoked_at.eq(diesel::dsl::now))
            .returning(sessions::slug)
            .get_results(conn)
            .await?;
        announce(conn, new.user, &ended).await?;
        Ok(())
    })
    .await?;
    Ok(sid)
}

pub enum Rotation {
    /// The token was live: it is now used, and its successor is stored.
    Rotated { user: UserId, session: SessionId },
    /// The token was already used: its session has ended.
    Reused,
    /// Unknown, expired, or its session ended.
    Invalid,
}

/// Marks `presented` used and stores its successor (expiring at `next_ttl`
/// from now, never past the session's end), or ends the session when the
/// presented token had already been used.
pub async fn rotate(
    conn: &mut Conn,
    presented: Vec<u8>,
    next_hash: Vec<u8>,
    next_ttl: chrono::Duration,
) -> Result<Rotation, DbError> {
    conn.transaction::<_, DbError, _>(async move |conn| {
        let live_sessions = sessions::table.filter(live()).select(sessions::id);
        let claimed: Option<i64> = diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::token_hash.eq(&presented))
                .filter(refresh_tokens::used_at.is_null())
                .filter(refresh_tokens::expires_at.gt(diesel::dsl::now))
                .filter(refresh_tokens::session_id.eq_any(live_sessions)),
        )
        .set(refresh_tokens::used_at.eq(diesel::dsl::now))
        .returning(refresh_tokens::session_id)
        .get_result(conn)
        .await
        .optional()?;

        if let Some(session_id) = claimed {
            let (sid, user_id, ends): (SessionId, i64, DateTime<Utc>) =
                diesel::update(sessions::table.find(session_id))
                    .set(sessions::last_used_at.eq(diesel::dsl::now))
                    .returning((sessions::slug, sessions::user_id, sessions::expires_at))
                    .get_result(conn)
                    .await?;
            let user = user_slug(conn, user_id).await?;
            let refresh = NewRefresh {
                hash: next_hash,
                expires_at: (Utc::now() + next_ttl).min(ends),
            };
            insert_refresh(conn, session_id, refresh).await?;
            return Ok(Rotation::Rotated { user, session: sid });
        }

        let used: Option<(i64, Option<DateTime<Utc>>)> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&presented))
            .select((refresh_tokens::session_id, refresh_tokens::used_at))
            .first(conn)
            .await
            .optional()?;
        match used {
            Some((session_id, Some(_))) => {
                end_by_id(conn, session_id).await?;
                Ok(Rotation::Reused)
            }
            _ => Ok(Rotation::Invalid),
        }
    })
    .await
}

async fn end_by_id(conn: &mut Conn, session_id: i64) -> Result<(), DbError> {
    let ended: Option<(SessionId, i64)> = diesel::update(
        sessions::table
            .filter(sessions::id.eq(session_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(diesel::dsl::now))
    .returning((sessions::slug, sessions::user_id))
    .get_result(conn)
    .await
    .optional()?;
    if let Some((sid, user_id)) = ended {
        let user = user_slug(conn, user_id).await?;
        announce(conn, &user, &[sid]).await?;
    }
    Ok(())
}

async fn user_slug(conn: &mut Conn, user_id: i64) -> Result<UserId, DbError> {
    Ok(users::table
        .find(user_id)
        .select(users::slug)
        .first(conn)
        .await?)
}

/// Ends the session the presented refresh token belongs to (logout).
/// Unknown tokens are ignored.
pub async fn end_by_refresh(conn: &mut Conn, presented: &[u8]) -> Result<(), DbError> {
    let presented = presented.to_vec();
    conn.transaction::<_, DbError, _>(async move |conn| {
        let session: Option<i64> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(&presented))
            .select(refresh_tokens::session_id)
            .first(conn)
            .await
            .optional()?;
        if let Some(session_id) = session {
            end_by_id(conn, session_id).await?;
        }
        Ok(())
    })
    .await
}

/// Ends the user's sessions `which` names; returns the ones that ended.
pub async fn revoke(
    conn: &mut Conn,
    user_id: i64,
    user: &UserId,
    which: Which<'_>,
) -> Result<Vec<SessionId>, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| end(conn, user_id, user, which).await)
        .await
}

/// Gives the session a new refresh token and retires its others (after a
/// password change, the current session goes on with fresh tokens), and
/// ends every other session of the user. `false` when the session is no
/// longer live.
pub async fn renew_and_end_others(
    conn: &mut Conn,
    user_id: i64,
    user: &UserId,
    sid: &SessionId,
    refresh: NewRefresh,
) -> Result<bool, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        let session: Option<(i64, DateTime<Utc>)> = sessions::table
            .filter(sessions::slug.eq(sid))
            .filter(sessions::user_id.eq(user_id))
            .filter(live())
            .select((sessions::id, sessions::expires_at))
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some((session_id, ends)) = session else {
            return Ok(false);
        };
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::session_id.eq(session_id))
                .filter(refresh_tokens::used_at.is_null()),
        )
        .set(refresh_tokens::used_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
        let refresh = NewRefresh {
            expires_at: refresh.expires_at.min(ends),
            ..refresh
        };
        insert_refresh(conn, session_id, refresh).await?;
        end(conn, user_id, user, Which::AllBut(Some(sid))).await?;
        Ok(true)
    })
    .await
}

/// The user's live sessions, newest first.
pub async fn live_of(conn: &mut Conn, user_id: i64) -> Result<Vec<Session>, DbError> {
    Ok(sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(live())
        .order((sessions::created_at.desc(), sessions::id.desc()))
        .select(Session::as_select())
        .load(conn)
        .await?)
}

/// Sessions ended and accounts deleted since `since`: what a verifier that
/// (re)starts following must know.
pub async fn revoked_since(
    conn: &mut Conn,
    since: DateTime<Utc>,
) -> Result<RevocationList, DbError> {
    let ended: Vec<(SessionId, UserId, Option<DateTime<Utc>>)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::revoked_at.gt(since))
        .select((sessions::slug, users::slug, sessions::revoked_at))
        .load(conn)
        .await?;
    let gone: Vec<(UserId, DateTime<Utc>)> = deleted_users::table
        .filter(deleted_users::deleted_at.gt(since))
        .select((deleted_users::slug, deleted_users::deleted_at))
        .load(conn)
        .await?;
    let sessions = ended.into_iter().map(|(sid, user_id, at)| Revocation {
        user_id,
        sid: Some(sid),
        revoked_at: at.map_or(since.timestamp(), |at| at.timestamp()),
    });
    let accounts = gone.into_iter().map(|(user_id, at)| Revocation {
        user_id,
        sid: None,
        revoked_at: at.timestamp(),
    });
    Ok(RevocationList {
        items: sessions.chain(accounts).collect(),
    })
}
