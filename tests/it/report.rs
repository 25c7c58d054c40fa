//! `snapset report`: the release page's content, checked as text against a
//! fixture workspace — the matrix and every relation, the live overlay,
//! deterministic bytes, nothing loaded from elsewhere, nothing written but
//! the page — and every wrong argument (exit 2, shown where it was typed).
//! tests/it/report_browser.rs opens the page in Chromium.

use crate::common;

use common::workspace::{Shop, TestWorkspace, redact};
use serde_json::{Value, json};

/// The shop with dev on a newer snapshot than prod: cart and taxe ahead,
/// tower split into a weighted canary and a header track, a feature on,
/// and commits linked through `commit-url`.
fn workspace() -> (TestWorkspace, Shop) {
    let (ws, shop) = TestWorkspace::shop();
    let config = ws.read("snapset.kdl").replace(
        "environment \"dev\"  snapshot=\"s1\"",
        "commit-url \"https://git.example.com/shop/commit/{commit}\"\n\nenvironment \"dev\"  snapshot=\"s2\"",
    );
    ws.write("snapset.kdl", &config);
    ws.write(
        "snapshots/s2.kdl",
        &format!(
            r#"snapshot "s2" {{
    description "cart computes taxes through taxe"
    service "cart" commit="{}" {{
        feature "tax-call" true
    }}
    service "taxe" commit="{}"
    service "tower" {{
        track "stable" commit="{}" weight=90
        track "canary" commit="{}" weight=10
        track "beta" commit="{}" header="x-beta" value="1"
    }}
}}
"#,
            shop.cart2, shop.taxe2, shop.tower1, shop.tower2, shop.tower2
        ),
    );
    (ws, shop)
}

/// The page's bytes after a successful run.
fn report(ws: &TestWorkspace, args: &[&str]) -> String {
    let mut all = vec!["report", "-o", "page.html"];
    all.extend_from_slice(args);
    let run = ws.run(&all);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    ws.read("page.html")
}

/// The part of the page people read: no style sheet, no script.
fn body(html: &str) -> &str {
    let start = html.find("<main>").expect("<main>");
    let end = html.find("</main>").expect("</main>") + "</main>".len();
    &html[start..end]
}

/// The `<td>` of `service` (and `track`) in environment `env`.
fn cell<'h>(html: &'h str, service: &str, track: &str, env: &str) -> &'h str {
    let row_start = html
        .find(&format!(
            "<tr class=\"row\" data-service=\"{service}\" data-track=\"{track}\""
        ))
        .unwrap_or_else(|| panic!("no row {service}/{track}"));
    let row = &html[row_start..];
    let row = &row[..row.find("</tr>").expect("</tr>")];
    let start = row
        .find(&format!("data-env=\"{env}\""))
        .unwrap_or_else(|| panic!("no cell {env} in {service}/{track}"));
    let start = row[..start].rfind("<td").expect("<td");
    let end = start + row[start..].find("</td>").expect("</td>");
    &row[start..end]
}

fn deployment(name: &str, app: &str, version: &str, commit: &str) -> Value {
    let labels = json!({"app": app, "version": version});
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "shop-dev",
            "labels": labels,
            "annotations": {"snapset.dev/commit": commit}
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": app, "image": format!("shop/{app}:{commit}")}]}
            }
        },
        "status": {"replicas": 1, "readyReplicas": 1, "updatedReplicas": 1}
    })
}

#[test]
fn the_matrix_relates_every_cell_to_its_left() {
    let (ws, shop) = workspace();
    let html = report(&ws, &[]);
    // One row per service, one per track of the service with tracks.
    for (service, track) in [
        ("cart", "stable"),
        ("taxe", "stable"),
        ("tower", "stable"),
        ("tower", "canary"),
        ("tower", "beta"),
    ] {
        assert!(cell(&html, service, track, "dev").contains("data-commit"));
    }
    let cart = cell(&html, "cart", "stable", "prod");
    assert!(
        cart.contains(&format!("data-commit=\"{}\"", shop.cart1)),
        "{cart}"
    );
    assert!(
        cart.contains("rel-behind") && cart.contains("behind by 4"),
        "{cart}"
    );
    let link = format!(
        "href=\"https://git.example.com/shop/commit/{}\"",
        shop.cart2
    );
    assert!(cell(&html, "cart", "stable", "dev").contains(&link));
    assert!(cell(&html, "cart", "stable", "dev").contains("<li>tax-call</li>"));
    let stable = cell(&html, "tower", "stable", "prod");
    assert!(
        stable.contains("rel-same") && stable.contains("same"),
        "{stable}"
    );
    let canary = cell(&html, "tower", "canary", "prod");
    assert!(
        canary.contains("rel-absent empty") && canary.contains("absent"),
        "{canary}"
    );
    assert!(cell(&html, "tower", "canary", "dev").contains(">10%</span>"));
    assert!(cell(&html, "tower", "beta", "dev").contains(">x-beta: 1</span>"));
    insta::assert_snapshot!(body(&html));
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let (ws, _) = workspace();
    let first = report(&ws, &[]);
    let second = report(&ws, &[]);
    assert_eq!(first, second);
    assert!(!first.contains("<footer>Written by <code>snapset report</code> at"));
    let stamped = report(&ws, &["--timestamp"]);
    assert!(
        stamped.contains("<footer>Written by <code>snapset report</code> at <time datetime=\"")
    );
}

#[test]
fn the_page_asks_nothing_of_any_server() {
    let (ws, _) = workspace();
    let html = report(&ws, &[]);
    for needle in [
        "src=",
        "<link",
        "@import",
        "url(",
        "<iframe",
        "<object",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!html.contains(needle), "the page contains {needle}");
    }
    // The only addresses are commit links, which load nothing until clicked.
    let mut rest = html.as_str();
    while let Some(i) = rest.find("href=\"") {
        rest = &rest[i + 6..];
        assert!(
            rest.starts_with("https://git.example.com/shop/commit/"),
            "unexpected link {}",
            &rest[..rest.find('"').unwrap_or(rest.len())]
        );
    }
    assert!(html.starts_with("<!DOCTYPE html>\n"));
    assert!(html.contains("<style>") && html.contains("<script>") && html.contains("<svg"));
}

#[test]
fn a_reader_writes_only_its_page() {
    let (ws, _) = workspace();
    let before = ws.tree("");
    let run = ws.run(&["report"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "wrote snapset-report.html: 5 rows × 2 environments, 22 KiB\n"
    );
    let mut after = ws.tree("");
    assert!(after.remove("snapset-report.html").is_some());
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "no lock, no cache, no temporary file left"
    );
}

#[test]
fn live_files_add_status_to_their_environment() {
    let (ws, shop) = workspace();
    let live = json!({"apiVersion": "v1", "kind": "List", "items": [
        deployment("cart", "cart", "stable", &shop.cart2),
        deployment("taxe", "taxe", "stable", &shop.taxe1),
        deployment("tower", "tower", "stable", &shop.tower2),
        deployment("search", "search", "stable", &shop.docs),
    ]});
    ws.write("dev.json", &live.to_string());
    let html = report(&ws, &["--live", "dev=dev.json"]);
    let same = cell(&html, "cart", "stable", "dev");
    assert!(same.contains("class=\"live live-same\""), "{same}");
    let older = cell(&html, "taxe", "stable", "dev");
    assert!(
        older.contains("live-live-older") && older.contains("older \u{2212}4"),
        "{older}"
    );
    let newer = cell(&html, "tower", "stable", "dev");
    assert!(
        newer.contains("live-live-newer") && newer.contains("newer +4"),
        "{newer}"
    );
    assert!(cell(&html, "tower", "beta", "dev").contains("live-missing"));
    assert!(cell(&html, "search", "stable", "dev").contains("live-not-in-snapshot"));
    assert!(!cell(&html, "cart", "stable", "prod").contains("class=\"live "));
    assert!(html.contains(
        "<code>dev.json</code>: 1 same, 1 live-newer, 1 live-older, 2 missing, 1 not-in-snapshot"
    ));
}

/// Runs a report that must fail; returns stderr for the snapshot.
fn failing(ws: &TestWorkspace, args: &[&str]) -> String {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    let run = ws.run(&all);
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(!ws.path("snapset-report.html").exists());
    redact(&run.stderr, ws)
}

#[test]
fn wrong_arguments_are_shown_where_they_were_typed() {
    let (ws, _) = workspace();
    ws.write("dev.json", "NAME READY\ncart 1/1\n");
    let errors = [
        failing(&ws, &["--env", "prdo"]),
        failing(&ws, &["--live", "dev"]),
        failing(&ws, &["--live", "=dev.json"]),
        failing(&ws, &["--live", "staging=dev.json"]),
        failing(&ws, &["--env", "prod", "--live", "dev=dev.json"]),
        failing(&ws, &["--live", "dev=dev.json", "--live", "dev=other.json"]),
        failing(&ws, &["--live", "dev=dev.json"]),
        failing(&ws, &["--live", "dev=absent.json"]),
    ];
    insta::assert_snapshot!(errors.join("\n----\n"));
}

#[test]
fn commit_url_must_be_a_web_address_naming_the_commit() {
    let (ws, _) = TestWorkspace::shop();
    let config = ws.read("snapset.kdl");
    let mut errors = Vec::new();
    for url in [
        "\"javascript:alert(1)//{commit}\"",
        "\"https://git.example.com/shop/commits\"",
        "1",
    ] {
        ws.write("snapset.kdl", &format!("commit-url {url}\n{config}"));
        let run = ws.run(&["check"]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        errors.push(redact(&run.stderr, &ws));
    }
    ws.write(
        "snapset.kdl",
        &format!("commit-url \"http://git.local/{{short}}\"\n{config}"),
    );
    assert_eq!(ws.run(&["check"]).code, 0);
    insta::assert_snapshot!(errors.join("\n----\n"));
}

/// Issue 28: the lede counts services, each once (not the rows of a live
/// object no snapshot pins), and a `--live` file given by an absolute path
/// is shown by its name: the page is shared, the writer's folders are not.
#[test]
fn the_page_counts_services_and_hides_the_live_folder() {
    let (ws, shop) = workspace();
    let live = json!({"apiVersion": "v1", "kind": "List", "items": [
        deployment("cart", "cart", "stable", &shop.cart2),
        deployment("search", "search", "stable", &shop.docs),
    ]});
    ws.write("live/dev.json", &live.to_string());
    let absolute = ws.path("live/dev.json");
    let html = report(
        &ws,
        &["--live", &format!("dev={}", absolute.to_str().unwrap())],
    );
    assert!(
        html.contains("<p class=\"lede\">3 services · 2 environments"),
        "{}",
        body(&html)
    );
    assert!(html.contains("<code>dev.json</code>: "), "{}", body(&html));
    let root = ws.root.to_str().unwrap();
    assert!(!html.contains(root), "the page names {root}");
    // As given when relative.
    let relative = report(&ws, &["--live", "dev=live/dev.json"]);
    assert!(relative.contains("<code>live/dev.json</code>: "));
}

/// Outside git there is no history to draw: the page has no history
/// section, and is written all the same (tests/it/history.rs draws one).
#[test]
fn a_workspace_outside_git_has_no_history_section() {
    let (ws, _) = workspace();
    let html = report(&ws, &[]);
    assert!(html.contains("<table id=\"matrix\""));
    assert!(!html.contains("<section id=\"history\""), "{}", body(&html));
}
