//! Measures one argon2id hash with the default parameters (m=19 MiB, t=2, p=1).
//!
//!     cargo run --release -p auth --example argon2_timing

use std::time::Instant;

use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Params, Version};

fn main() {
    let argon2 = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19_456, 2, 1, None).unwrap(),
    );
    let runs = 20;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        argon2
            .hash_password(b"correct horse battery staple")
            .unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "argon2id m=19456 KiB t=2 p=1: median {:.1} ms, min {:.1} ms, max {:.1} ms over {runs} hashes",
        times[runs / 2],
        times[0],
        times[runs - 1]
    );
}
