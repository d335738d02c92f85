//! Time-based one-time passwords (RFC 6238): HMAC-SHA1, 6 digits, 30-second
//! steps, as every authenticator app computes them; secrets are 160 random
//! bits, shown in base32 (RFC 4648) and in an `otpauth://` URI. A code is
//! accepted one step early or late (clock drift), and never for a step at or
//! before the last one accepted (no replay).

use aws_lc_rs::hmac;

pub const DIGITS: u32 = 6;
pub const STEP_SECS: i64 = 30;
/// Steps accepted either side of now.
pub const DRIFT_STEPS: i64 = 1;
const SECRET_BYTES: usize = 20;

/// A new random secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    aws_lc_rs::rand::fill(&mut secret).expect("the system random source is available");
    secret
}

/// The time step of a Unix time.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The code of `step` (RFC 4226's HOTP of the step counter).
pub fn code(secret: &[u8], step: i64) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let digest = hmac::sign(&key, &step.to_be_bytes());
    let digest = digest.as_ref();
    let offset = (digest[digest.len() - 1] & 0x0f) as usize;
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    binary % 10u32.pow(DIGITS)
}

/// The code as the user types it: six digits, zero-padded.
pub fn format(code: u32) -> String {
    format!("{code:0width$}", width = DIGITS as usize)
}

/// The step whose code `presented` is, within the drift of `now_step` and
/// after `last_step`; `None` for a wrong, stale or replayed code.
pub fn matching_step(secret: &[u8], presented: &str, now_step: i64, last_step: i64) -> Option<i64> {
    let presented = presented.trim();
    if presented.len() != DIGITS as usize || !presented.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let presented: u32 = presented.parse().ok()?;
    (now_step - DRIFT_STEPS..=now_step + DRIFT_STEPS)
        .filter(|step| *step > last_step)
        .find(|step| constant_time_eq(code(secret, *step), presented))
}

fn constant_time_eq(a: u32, b: u32) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(&a.to_be_bytes(), &b.to_be_bytes()).is_ok()
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, without padding (what authenticator apps take).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes unpadded base32 (case-insensitive); `None` for anything else.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let value = BASE32.iter().position(|&b| b == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://` URI an authenticator app scans.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let label = format!("{issuer}:{account}");
    let encode = |s: &str| {
        form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        encode(&label),
        base32(secret),
        encode(issuer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238, appendix B: the SHA-1 secret and its 8-digit codes, of which
    // the last six digits are the 6-digit codes.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        for (time, eight_digits) in [
            (59, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(
                code(RFC_SECRET, step_at(time)),
                eight_digits % 1_000_000,
                "at {time}"
            );
        }
        assert_eq!(format(7), "000007");
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_never_twice() {
        let now = step_at(1_700_000_000);
        for offset in [-1, 0, 1] {
            let presented = format(code(RFC_SECRET, now + offset));
            assert_eq!(
                matching_step(RFC_SECRET, &presented, now, 0),
                Some(now + offset)
            );
        }
        for offset in [-2, 2] {
            let presented = format(code(RFC_SECRET, now + offset));
            assert_eq!(
                matching_step(RFC_SECRET, &presented, now, 0),
                None,
                "offset {offset}"
            );
        }
        let presented = format(code(RFC_SECRET, now));
        assert_eq!(
            matching_step(RFC_SECRET, &presented, now, now),
            None,
            "replayed"
        );
        assert_eq!(
            matching_step(RFC_SECRET, &presented, now, now - 1),
            Some(now)
        );
        for junk in ["", "12345", "1234567", "12345a", "-12345"] {
            assert_eq!(matching_step(RFC_SECRET, junk, now, 0), None, "{junk:?}");
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(from_base32("mzxw6ytboi").unwrap(), b"foobar");
        let secret = new_secret();
        assert_eq!(from_base32(&base32(&secret)).unwrap(), secret);
        assert_eq!(from_base32("not base32!"), None);
    }

    #[test]
    fn the_uri_names_issuer_account_and_parameters() {
        let uri = otpauth_uri("Gridlink", "ada lovelace", RFC_SECRET);
        assert_eq!(
            uri,
            "otpauth://totp/Gridlink%3Aada%20lovelace?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Gridlink&algorithm=SHA1&digits=6&period=30"
        );
    }
}
