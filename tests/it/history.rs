//! History (issue 30): `log`, `where`, `metrics` and `rollback` read the
//! workspace's first-parent history. Every test builds one history with
//! fixed dates (`Pipe`: workspace commits at T0 + hours, the shop's
//! commits at T0 + minutes) and computes what each command must answer
//! from those dates itself, never by calling snapset's code.

use serde_json::Value;

use crate::pipeline::{H, PATH, Pipe, T0, fails, ok};

/// The shop's commits are dated T0 + 60 s × their rank (`TestWorkspace::shop`).
const CART1_AT: i64 = T0;
const CART2_AT: i64 = T0 + 4 * 60;
const TAXE2_AT: i64 = T0 + 5 * 60;

/// The story every test reads:
/// - h0 every environment pins cart 1, taxe 1, tower 1; h1 the path is declared;
/// - h2 dev takes cart 2; h4 integration takes it; h30 prod takes it;
/// - h32 prod goes back to cart 1 (a rollback, written by hand);
/// - h40 prod takes taxe 2 with a hotfix; h50 cart 2 is rejected.
pub(crate) fn story() -> Pipe {
    let mut p = Pipe::new();
    let (cart1, cart2, taxe2) = (
        p.shop.cart1.clone(),
        p.shop.cart2.clone(),
        p.shop.taxe2.clone(),
    );
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(4, "integration: cart 2");
    p.set("prod", "cart", &cart2);
    p.commit(30, "prod: cart 2");
    p.set("prod", "cart", &cart1);
    p.commit(32, "prod: back to cart 1");
    p.ws.write(
        "snapshots/prod.kdl",
        &format!(
            "snapshot \"prod\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\" {{\n        hotfix \"rates are wrong in prod\"\n    }}\n    service \"tower\" commit=\"{}\"\n}}\n",
            &cart1[..10],
            &taxe2[..10],
            &p.shop.tower1[..10]
        ),
    );
    p.commit(40, "prod: taxe 2, hotfix");
    p.config(&format!(
        "{PATH}reject \"cart\" \"{cart2}\" reason=\"breaks checkout\"\n"
    ));
    p.commit(50, "reject cart 2");
    p
}

/// date, service, old, new, marks.
type LogRow = (String, String, Vec<String>, Vec<String>, Vec<String>);

fn json(p: &Pipe, hours: i64, args: &[&str]) -> Value {
    let run = p.run_at(hours, args);
    ok(&run);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn iso(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // 2026-01-01 is day 20454 of the epoch; the story stays in January 2026.
    let day = days - 20_454 + 1;
    assert!((1..=31).contains(&day), "the story stays in January");
    format!(
        "2026-01-{day:02}T{:02}:{:02}:{:02}+00:00",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[test]
fn log_lists_changes_newest_first_with_their_marks() {
    let p = story();
    let s = &p.shop;
    let doc = json(&p, 60, &["log", "--env", "prod", "--format", "json"]);
    let rows = doc["changes"].as_array().unwrap();
    let got: Vec<LogRow> = rows
        .iter()
        .map(|r| {
            let list = |v: &Value| -> Vec<String> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_string())
                    .collect()
            };
            (
                r["date"].as_str().unwrap().to_string(),
                r["service"].as_str().unwrap().to_string(),
                list(&r["old"]),
                list(&r["new"]),
                list(&r["marks"]),
            )
        })
        .collect();
    let at = |h: i64| iso(T0 + h * H);
    let one = |c: &str| vec![c.to_string()];
    let none: Vec<String> = Vec::new();
    let want = vec![
        (
            at(40),
            "taxe".into(),
            one(&s.taxe1),
            one(&s.taxe2),
            one("hotfix"),
        ),
        (
            at(32),
            "cart".into(),
            one(&s.cart2),
            one(&s.cart1),
            one("rollback"),
        ),
        (
            at(30),
            "cart".into(),
            one(&s.cart1),
            one(&s.cart2),
            one("reject"),
        ),
        (
            at(0),
            "cart".into(),
            none.clone(),
            one(&s.cart1),
            none.clone(),
        ),
        (
            at(0),
            "taxe".into(),
            none.clone(),
            one(&s.taxe1),
            none.clone(),
        ),
        (
            at(0),
            "tower".into(),
            none.clone(),
            one(&s.tower1),
            none.clone(),
        ),
    ];
    assert_eq!(got, want);
    assert!(rows.iter().all(|r| r["author"] == "Fixture"));

    let only = json(
        &p,
        60,
        &[
            "log",
            "--env",
            "prod",
            "--service",
            "cart",
            "--format",
            "json",
        ],
    );
    assert_eq!(only["changes"].as_array().unwrap().len(), 3);

    let table = p.run_at(60, &["log", "--env", "prod"]);
    ok(&table);
    assert!(
        table
            .stdout
            .starts_with("prod: 4 changes, 6 service moves, newest first\n"),
        "{}",
        table.stdout
    );
    assert!(
        table
            .stdout
            .contains(&format!("{} → {}", &s.cart2[..10], &s.cart1[..10]))
    );
    assert!(
        table.stdout.contains("2026-01-02 08:00 UTC"),
        "h32: {}",
        table.stdout
    );

    let unknown = p.run_at(60, &["log", "--env", "prdo"]);
    fails(&unknown);
    assert!(unknown.stderr.contains("prod"), "{}", unknown.stderr);
}

#[test]
fn where_says_since_when_each_environment_runs_a_commit() {
    let p = story();
    let s = &p.shop;
    let doc = json(&p, 60, &["where", "cart", &s.cart2, "--format", "json"]);
    let rows = doc["environments"].as_array().unwrap();
    let row = |env: &str| {
        rows.iter()
            .find(|r| r["environment"] == env)
            .unwrap()
            .clone()
    };
    // dev took it at h2, integration at h4; prod went back to cart 1.
    assert_eq!(row("dev")["runs"], true);
    assert_eq!(row("dev")["since_date"], iso(T0 + 2 * H));
    assert_eq!(row("dev")["delay_seconds"], 2 * H - (CART2_AT - T0));
    assert_eq!(row("integration")["delay_seconds"], 4 * H - (CART2_AT - T0));
    assert_eq!(row("prod")["runs"], false);
    assert_eq!(row("prod")["since_date"], Value::Null);

    // cart 2 contains cart 1: every environment runs cart 1 or a
    // descendant; prod's run starts again at h0 (its rollback kept it).
    let doc = json(
        &p,
        60,
        &["where", "cart", &s.cart1[..10], "--format", "json"],
    );
    for r in doc["environments"].as_array().unwrap() {
        assert_eq!(r["runs"], true, "{r}");
        assert_eq!(r["since_date"], iso(T0), "{r}");
        assert_eq!(r["delay_seconds"], T0 - CART1_AT, "{r}");
    }
    // taxe 2 reached prod only, by the hotfix at h40.
    let doc = json(&p, 60, &["where", "taxe", &s.taxe2, "--format", "json"]);
    let prod = &doc["environments"].as_array().unwrap()[2];
    assert_eq!(prod["since_date"], iso(T0 + 40 * H));
    assert_eq!(prod["delay_seconds"], T0 + 40 * H - TAXE2_AT);

    let table = p.run_at(60, &["where", "cart", &s.cart2]);
    ok(&table);
    assert!(
        table.stdout.contains("2026-01-01 02:00 UTC  1h56m"),
        "{}",
        table.stdout
    );

    let unknown = p.run_at(60, &["where", "cart", "0123456789abcdef"]);
    fails(&unknown);
    let stranger = p.run_at(60, &["where", "basket", &s.cart2]);
    fails(&stranger);
}

#[test]
fn metrics_follow_their_definitions() {
    let p = story();
    let doc = json(
        &p,
        60,
        &["metrics", "--since", "2026-01-02", "--format", "json"],
    );
    let since = T0 + 24 * H;
    let now = T0 + 60 * H;
    let weeks = (now - since) as f64 / (7 * 24 * H) as f64;
    assert_eq!(doc["since"], iso(since));
    let rows = doc["environments"].as_array().unwrap();
    let prod = rows.iter().find(|r| r["environment"] == "prod").unwrap();
    // In the window: h30 (cart 2), h32 (the rollback), h40 (taxe 2).
    assert_eq!(prod["changes"], 3);
    let per_week = prod["per_week"].as_f64().unwrap();
    assert!((per_week - 3.0 / weeks).abs() < 1e-9, "{per_week}");
    // First runs: cart 2 at h30, taxe 2 at h40; the rollback adds none.
    let leads = vec![30 * H - (CART2_AT - T0), 40 * H - (TAXE2_AT - T0)];
    assert_eq!(prod["lead_times"], serde_json::json!(leads));
    assert_eq!(prod["lead_time_median"], leads[0]);
    assert_eq!(prod["lead_time_p90"], leads[1]);
    // h30 failed: cart 2 is rejected and was rolled back at h32.
    assert_eq!(prod["failed"], 1);
    assert!((prod["failure_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(prod["time_to_restore_median"], 2 * H);
    let dev = rows.iter().find(|r| r["environment"] == "dev").unwrap();
    assert_eq!(dev["changes"], 0);
    assert_eq!(dev["failure_rate"], Value::Null);

    let table = p.run_at(60, &["metrics", "--env", "prod", "--since", "2026-01-02"]);
    ok(&table);
    for line in [
        "deployment frequency: changes ÷ weeks",
        "lead time for changes:",
        "change failure rate:",
        "time to restore:",
        "33% (1/3)",
    ] {
        assert!(table.stdout.contains(line), "{line}: {}", table.stdout);
    }
    let bad = p.run_at(60, &["metrics", "--since", "last tuesday"]);
    fails(&bad);
    assert!(bad.stderr.contains("--since"), "{}", bad.stderr);
}

#[test]
fn rollback_restores_the_pins_from_before_the_last_change() {
    let p = story();
    let s = &p.shop;
    let files = || (p.ws.tree_text("snapshots"), p.ws.read("snapset.kdl"));
    let before = files();
    // prod's last change took taxe 2 (h40); before it, prod ran cart 1,
    // which integration ran 4 h only, short of the 24 h soak: but prod ran
    // it from h0, before the path was declared, so it needs no new proof.
    let check = p.run_at(60, &["check", "--env", "prod"]);
    ok(&check);
    let run = p.run_at(60, &["rollback", "--env", "prod"]);
    ok(&run);
    assert_ne!(files(), before);
    // The file changed since: a new snapshot restores it, hotfix-free as it was.
    let restored = p.ws.read("snapshots/prod-rollback.kdl");
    assert!(
        restored.starts_with("snapshot \"prod-rollback\" {"),
        "{restored}"
    );
    for (service, commit) in [("cart", &s.cart1), ("taxe", &s.taxe1), ("tower", &s.tower1)] {
        assert!(
            restored.contains(&format!(
                "service \"{service}\" commit=\"{}\"",
                &commit[..10]
            )),
            "{restored}"
        );
    }
    assert!(!restored.contains("hotfix"));
    assert!(
        p.ws.read("snapset.kdl")
            .contains("snapshot=\"prod-rollback\"")
    );
    // `log` marks the uncommitted change as a rollback.
    let doc = json(&p, 60, &["log", "--env", "prod", "--format", "json"]);
    let newest = &doc["changes"][0];
    assert_eq!(newest["commit"], Value::Null);
    assert_eq!(newest["service"], "taxe");
    assert_eq!(newest["new"][0], s.taxe1.as_str());
    assert_eq!(newest["marks"], serde_json::json!(["rollback"]));
}

#[test]
fn a_pin_taken_before_under_a_hotfix_needs_its_hotfix_again() {
    let mut p = story();
    let s = p.shop.clone();
    let prod = |taxe: &str| {
        format!(
            "snapshot \"prod\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" commit=\"{}\"\n}}\n",
            &s.cart1[..10],
            &taxe[..10],
            &s.tower1[..10]
        )
    };
    p.ws.write("snapshots/prod.kdl", &prod(&s.taxe1));
    p.commit(52, "prod: taxe 1 again");
    // prod ran taxe 2 from h40 to h52, under a hotfix: taking it again
    // without one is a new pin that integration never ran.
    p.ws.write("snapshots/prod.kdl", &prod(&s.taxe2));
    let run = p.run_at(60, &["check"]);
    fails(&run);
    assert!(run.stderr.contains("taxe"), "{}", run.stderr);
}

#[test]
fn rollback_to_a_rejected_commit_is_refused_even_forced() {
    let p = story();
    let h30 = {
        // The workspace commit of h30 is the fourth after h0, h1, h2, h4.
        let repo = git2::Repository::open(&p.ws.root).unwrap();
        let mut walk = repo.revwalk().unwrap();
        walk.push_head().unwrap();
        walk.simplify_first_parent().unwrap();
        let ids: Vec<git2::Oid> = walk.map(|o| o.unwrap()).collect();
        // Newest first: h50, h40, h32, h30.
        ids[3].to_string()
    };
    let refused = p.run_at(60, &["rollback", "--env", "prod", "--to", &h30, "--force"]);
    fails(&refused);
    assert!(
        refused.stderr.contains("breaks checkout"),
        "{}",
        refused.stderr
    );
    assert!(!p.ws.path("snapshots/prod-rollback.kdl").exists());
}

#[test]
fn rollback_rebinds_when_the_old_snapshot_file_is_unchanged() {
    let mut p = Pipe::declaring(crate::pipeline::PLAIN);
    let cart2 = p.shop.cart2.clone();
    p.ws.write(
        "snapshots/next.kdl",
        &format!(
            "snapshot \"next\" {{\n    service \"cart\" commit=\"{}\"\n}}\n",
            &cart2[..10]
        ),
    );
    p.config(&crate::pipeline::PLAIN.replace(
        "snapshot=\"prod\"        varset=\"prod\"",
        "snapshot=\"next\"        varset=\"prod\"",
    ));
    p.commit(2, "prod: next");
    let run = p.run_at(3, &["rollback", "--env", "prod"]);
    ok(&run);
    assert!(
        !p.ws.path("snapshots/prod-rollback.kdl").exists(),
        "no new file"
    );
    assert!(
        p.ws.read("snapset.kdl")
            .contains("environment \"prod\"        snapshot=\"prod\"        varset=\"prod\"")
    );

    // The markdown diff marks it, and only it.
    let diff = p.run_at(3, &["diff", "--format", "markdown"]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    assert!(
        diff.stdout.contains("**rollback**: `prod` goes back"),
        "{}",
        diff.stdout
    );
    assert!(!diff.stdout.contains("`dev` goes back"), "{}", diff.stdout);

    // dev never changed after its first binding: nothing earlier.
    let none = p.run_at(3, &["rollback", "--env", "dev"]);
    fails(&none);
    assert!(
        none.stderr.contains("`dev` ran nothing earlier"),
        "{}",
        none.stderr
    );
}

#[test]
fn changelog_between_two_releases() {
    let p = story();
    // prod runs cart 1, dev cart 2: the commits in between touching cart.
    let run = p.run_at(60, &["changelog", "--between", "prod", "dev"]);
    ok(&run);
    assert!(
        run.stdout
            .starts_with("environment prod (snapshot prod) → environment dev (snapshot dev)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("cart: compute taxes through taxe"),
        "{}",
        run.stdout
    );
    let forced = p.run_at(
        60,
        &[
            "changelog",
            "--between",
            "snapshot:integration",
            "snapshot:dev",
        ],
    );
    ok(&forced);
    assert!(
        forced.stdout.contains("no service moves"),
        "{}",
        forced.stdout
    );
    let unknown = p.run_at(60, &["changelog", "--between", "prod", "nowhere"]);
    fails(&unknown);
}

#[test]
fn a_forged_cache_does_not_change_the_log() {
    let p = story();
    let first = p.run_at(60, &["log", "--env", "prod", "--format", "json"]);
    ok(&first);
    let cache = p.history_cache().expect("the first run keeps its cache");
    // The hotfix and the h40 change removed from what the cache says.
    let text = std::fs::read_to_string(&cache).unwrap();
    let forged = text.replace("\"hotfixes\":{\"taxe\":[", "\"hotfixes\":{\"tower\":[");
    assert_ne!(forged, text, "the cache records the hotfix");
    std::fs::write(&cache, forged).unwrap();
    let again = p.run_at(60, &["log", "--env", "prod", "--format", "json"]);
    ok(&again);
    assert_eq!(again.stdout, first.stdout);
}

/// `pr-url`: the pull requests commit subjects name link, in the markdown
/// diff and on the release page; the rest of a hostile subject stays text.
#[test]
fn pr_url_links_pull_requests_in_markdown_and_on_the_page() {
    let (mut ws, shop) = crate::common::workspace::TestWorkspace::shop();
    let hostile = ws.git.commit(
        "cart: <img src=x onerror=alert(1)> [x](javascript:y) @eve (#12)",
        &[("services/cart/main.go", "package cart // 3\n")],
    );
    let merge = ws.git.commit(
        "Merge pull request #34 from eve/cart",
        &[("services/cart/main.go", "package cart // 4\n")],
    );
    let config = ws.read("snapset.kdl");
    ws.write(
        "snapset.kdl",
        &format!("pr-url \"https://git.example.com/shop/pull/{{number}}\"\n{config}"),
    );
    assert_eq!(ws.run(&["render"]).code, 0);
    ws.write(
        "snapshots/s2.kdl",
        &format!(
            "snapshot \"s2\" {{\n    service \"cart\" commit=\"{merge}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" commit=\"{}\"\n}}\n",
            shop.taxe1, shop.tower1
        ),
    );
    let config = ws.read("snapset.kdl").replace(
        "environment \"dev\"  snapshot=\"s1\"",
        "environment \"dev\"  snapshot=\"s2\"",
    );
    ws.write("snapset.kdl", &config);

    let run = ws.run(&["diff", "--env", "dev", "--format", "markdown"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let md = &run.stdout;
    assert!(
        md.contains(&format!(
            "  - `{}` Merge pull request [#34](https://git.example.com/shop/pull/34) from eve/cart\n",
            &merge[..8]
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "  - `{}` cart: &lt;img src=x onerror=alert(1)&gt; \\[x\\](javascript:y) @\u{2060}eve ([#12](https://git.example.com/shop/pull/12))\n",
            &hostile[..8]
        )),
        "{md}"
    );
    assert!(!md.contains("<img"), "{md}");

    let run = ws.run(&["report", "-o", "page.html"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = ws.read("page.html");
    assert!(
        page.contains(
            "<div class=\"subject\">Merge pull request <a class=\"pr\" href=\"https://git.example.com/shop/pull/34\">#34</a> from eve/cart</div>"
        ),
        "{page}"
    );
}

#[test]
fn pr_url_must_be_a_web_address_naming_the_number() {
    let (ws, _) = crate::common::workspace::TestWorkspace::shop();
    let config = ws.read("snapset.kdl");
    let mut errors = Vec::new();
    for url in [
        "\"javascript:alert(1)//{number}\"",
        "\"https://git.example.com/shop/pulls\"",
    ] {
        ws.write("snapset.kdl", &format!("{config}pr-url {url}\n"));
        let run = ws.run(&["render"]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(!ws.path("out").exists(), "out/ stays untouched");
        errors.push(crate::common::workspace::redact(&run.stderr, &ws));
    }
    insta::assert_snapshot!(errors.join("\n----\n"));
}

/// The release page's history section: per environment, the timeline of
/// its changes and its lead times as SVG the template draws from numbers,
/// the latest changes in words, their subjects escaped.
#[test]
fn the_release_page_shows_each_environments_history() {
    let mut p = story();
    let taxe2 = p.shop.taxe2.clone();
    p.set("dev", "taxe", &taxe2);
    p.commit(55, "<img src=x onerror=alert(1)> dev: taxe 2 (#9)");
    let run = p.run_at(60, &["report", "-o", "page.html"]);
    ok(&run);
    let page = p.ws.read("page.html");
    let start = page
        .find("<section id=\"history\"")
        .expect("a history section");
    let section = &page[start..page[start..].find("</section>").unwrap() + start];
    for env in ["dev", "integration", "prod"] {
        assert!(section.contains(&format!(
            "<article class=\"env-history\" id=\"history-{env}\""
        )));
    }
    let prod = &section[section.find("id=\"history-prod\"").unwrap()..];
    let prod = &prod[..prod.find("</article>").unwrap()];
    // prod: h0 (first binding), h30 cart 2, h32 back to cart 1, h40 taxe 2.
    assert_eq!(prod.matches("<circle class=\"tick").count(), 4, "{prod}");
    assert!(prod.contains("class=\"tick tick-rollback\""), "{prod}");
    assert!(prod.contains("class=\"tick tick-hotfix\""), "{prod}");
    assert!(prod.contains("4 changes"), "{prod}");
    // Lead times: the first binding's three commits (their dates are
    // T0 + minutes, the change T0: none), cart 2 at h30 and taxe 2 at h40.
    assert!(prod.contains("<title>3 &lt;1h</title>"), "{prod}");
    assert!(prod.contains("<title>2 1–3d</title>"), "{prod}");
    assert!(prod.contains("<li><time datetime="), "{prod}");
    assert!(prod.contains("prod: taxe 2, hotfix"), "{prod}");
    assert!(
        prod.contains("<span class=\"mark mark-rollback\">rollback</span>"),
        "{prod}"
    );
    // The window ends at the latest change shown (dev's, h55): drawn at
    // the end. Its subject, hostile, stays text; the pull request it
    // names is not linked without `pr-url`.
    let dev = &section[section.find("id=\"history-dev\"").unwrap()..];
    assert!(dev.contains("cx=\"600.0\""), "{dev}");
    assert!(
        dev.contains("&lt;img src=x onerror=alert(1)&gt; dev: taxe 2 (#9)"),
        "{dev}"
    );
    assert!(!section.contains("<img"), "{section}");
    assert!(!section.contains("<a "), "{section}");
    assert!(!section.contains("<script"), "{section}");
}

/// A shallow clone cannot tell its history: the release page (whose
/// matrix needs none without `from=`) is written without the history
/// section, and says why.
#[test]
fn a_shallow_clone_gets_its_page_without_the_history_section() {
    let mut p = Pipe::declaring(crate::pipeline::PLAIN);
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    let clone = p.ws.root.parent().unwrap().join("shallow");
    let out = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1"])
        .arg(format!("file://{}", p.ws.root.display()))
        .arg(&clone)
        .output()
        .expect("git clone");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = p.ws.run_in(&clone, &["report", "-o", "page.html"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("is a shallow clone"), "{}", run.stderr);
    let page = std::fs::read_to_string(clone.join("page.html")).unwrap();
    assert!(page.contains("<table id=\"matrix\""));
    assert!(!page.contains("<section id=\"history\""));
    // The full repository draws it.
    let full = p.run_at(3, &["report", "-o", "page.html"]);
    ok(&full);
    assert!(p.ws.read("page.html").contains("<section id=\"history\""));
}
