//! What a session list shows of the client that started a session: a short
//! summary ("Firefox on Linux"), never the raw `User-Agent`, which is long,
//! identifying and attacker-controlled.

/// Browsers, most specific first (Edge and Opera also say Chrome and Safari).
const BROWSERS: [(&str, &str); 6] = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
];

/// Systems, most specific first (Android says Linux, iOS says Mac OS X).
const SYSTEMS: [(&str, &str); 6] = [
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
];

/// A short, safe summary of a `User-Agent`.
pub fn summary(user_agent: Option<&str>) -> String {
    let Some(agent) = user_agent.filter(|a| !a.trim().is_empty()) else {
        return "unknown client".to_owned();
    };
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(marker, _)| agent.contains(marker))
            .map(|(_, name)| *name)
    };
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("an app on {system}"),
        (None, None) => {
            // The product token ("okhttp/4.9", "python-requests/2.31"),
            // without its version, in plain characters and short.
            let product: String = agent
                .split(['/', ' '])
                .next()
                .unwrap_or_default()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .take(40)
                .collect();
            if product.is_empty() {
                "unknown client".to_owned()
            } else {
                product
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn browsers_and_systems_are_named_and_nothing_else_is_kept() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(summary(Some(firefox)), "Firefox on Linux");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
                    Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(summary(Some(edge)), "Edge on Windows");
        let android =
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36";
        assert_eq!(summary(Some(android)), "Chrome on Android");
        assert_eq!(summary(Some("python-requests/2.32.3")), "python-requests");
        assert_eq!(summary(Some("<script>alert(1)</script>")), "scriptalert1");
        assert_eq!(summary(None), "unknown client");
    }
}
