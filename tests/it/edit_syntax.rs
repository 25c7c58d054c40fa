//! Every edit command on workspace files written with all of KDL's syntax
//! at once: nested `/* */` comments, `/-` slashdashed nodes (a commented
//! twin of the very node edited), raw strings, escaped quotes, comments
//! that look like nodes. Each edit changes exactly the bytes it means to:
//! the test spells out the whole file after it.

use crate::common;

use common::workspace::TestWorkspace;

const CONFIG: &str = r##"/* the shop /* a nested "comment */ still */
repo "../shop.git" // a "quote" in a comment
image r#"registry.example.com/shop/{service}:{commit}"#
/-service "ghost" path="services/ghost" port=1 /* gone */
service "cart"  path="services/cart"  port=8080 /- port=9
service "taxe"  path=r"services/taxe"  port=8080
service "tower" path="services/tower" port=9090

/-environment "prod" snapshot="s0" varset="prod"
environment "dev"  snapshot="s1" varset="dev" // environment "prod" snapshot="s1"
environment /* "prod" snapshot="x" */ "prod" snapshot=r#"s1"# varset="prod"
"##;

const SNAPSHOT: &str = r##"/* {name} /* with "nested" */ comments */
snapshot "{name}" {
    description "say \"hi\" /* not a comment */ service \"cart\""
    /-service "cart" commit="0000000"
    service "cart" commit="{cart}" /* a /* nested */ "comment */ // "cart" commit="x"
    service r#"taxe"# commit=r"{taxe}"
    /- service "tower" {
        track "stable" commit="1111111"
    }
    service "tower" commit="{tower}" /-replicas=3
}
"##;

struct Files {
    ws: TestWorkspace,
    shop: common::workspace::Shop,
}

fn snapshot(name: &str, cart: &str, taxe: &str, tower: &str) -> String {
    SNAPSHOT
        .replace("{name}", name)
        .replace("{cart}", cart)
        .replace("{taxe}", taxe)
        .replace("{tower}", tower)
}

fn shop() -> Files {
    let (ws, shop) = TestWorkspace::shop();
    ws.write("snapset.kdl", CONFIG);
    let s1 = snapshot(
        "s1",
        &shop.cart1[..10],
        &shop.taxe1[..10],
        &shop.tower1[..10],
    );
    ws.write("snapshots/s1.kdl", &s1);
    let s2 = snapshot(
        "s2",
        &shop.cart2[..10],
        &shop.taxe2[..10],
        &shop.tower2[..10],
    );
    ws.write("snapshots/s2.kdl", &s2);
    let check = ws.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    Files { ws, shop }
}

fn ok(run: &common::workspace::Run) {
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn bump_changes_the_pin_and_nothing_else() {
    let Files { ws, shop } = shop();
    ok(&ws.run(&["bump", "s1", "cart"]));
    ok(&ws.run(&["bump", "s1", "taxe"]));
    let want = snapshot(
        "s1",
        &shop.cart2[..10],
        &shop.taxe2[..10],
        &shop.tower1[..10],
    );
    assert_eq!(ws.read("snapshots/s1.kdl"), want);
    assert_eq!(ws.read("snapset.kdl"), CONFIG);
}

#[test]
fn promote_changes_one_environment_and_nothing_else() {
    let Files { ws, .. } = shop();
    ok(&ws.run(&["promote", "s2", "--env", "prod"]));
    // The value keeps its raw-string form.
    let want = CONFIG.replace(r##"snapshot=r#"s1"#"##, r##"snapshot=r#"s2"#"##);
    assert_eq!(ws.read("snapset.kdl"), want);
    ok(&ws.run(&["promote", "s2", "--env", "dev"]));
    let want = want.replace(r#""dev"  snapshot="s1""#, r#""dev"  snapshot="s2""#);
    assert_eq!(ws.read("snapset.kdl"), want);
}

#[test]
fn reject_adds_one_line_and_nothing_else() {
    let Files { ws, shop } = shop();
    ok(&ws.run(&[
        "reject",
        "cart",
        &shop.cart2,
        "--reason",
        "say \"no\" /* */",
    ]));
    let after = ws.read("snapset.kdl");
    assert!(after.starts_with(CONFIG), "{after}");
    assert_eq!(
        &after[CONFIG.len()..],
        format!(
            "\nreject \"cart\" \"{}\" reason=\"say \\\"no\\\" /* */\"\n",
            shop.cart2
        )
    );
}

#[test]
fn canary_edits_change_the_service_and_nothing_else() {
    let Files { ws, shop } = shop();
    let s1 = ws.read("snapshots/s1.kdl");
    let (before, rest) = s1
        .split_once("    service \"tower\"")
        .expect("the tower line");
    let after = &rest[rest.find('\n').expect("a line end") + 1..];
    let tower = |lines: &str| format!("{before}{lines}{after}");

    ok(&ws.run(&["canary", "start", "s1", "tower", "--weight", "20"]));
    let started = ws.read("snapshots/s1.kdl");
    assert_eq!(
        started,
        tower(&format!(
            "    service \"tower\" /-replicas=3 {{\n        track \"stable\" commit=\"{}\" weight=80\n        track \"canary\" commit=\"{}\" weight=20\n    }}\n",
            &shop.tower1[..10],
            &shop.tower2[..10]
        )),
        "{started}"
    );
    ok(&ws.run(&["canary", "weight", "s1", "tower", "30"]));
    assert_eq!(
        ws.read("snapshots/s1.kdl"),
        started
            .replace("weight=80", "weight=70")
            .replace("weight=20", "weight=30")
    );
    // Aborted: back to the stable pin; started again, then promoted.
    let aligned =
        |text: String| text.replace("service \"tower\" commit", "service \"tower\"   commit");
    ok(&ws.run(&["canary", "abort", "s1", "tower"]));
    assert_eq!(ws.read("snapshots/s1.kdl"), aligned(s1.clone()));
    ok(&ws.run(&["canary", "start", "s1", "tower", "--weight", "30"]));
    ok(&ws.run(&["canary", "promote", "s1", "tower"]));
    let promoted = ws.read("snapshots/s1.kdl");
    // `commit=` goes in the column of the other services' pins.
    assert_eq!(
        promoted,
        aligned(snapshot(
            "s1",
            &shop.cart1[..10],
            &shop.taxe1[..10],
            &shop.tower2[..10]
        )),
        "{promoted}"
    );
}

#[test]
fn rollback_changes_one_environment_and_nothing_else() {
    let Files { ws, .. } = shop();
    let mut git = common::git_fixture::GitFixture::init(&ws.root);
    git.set_time(1_767_225_600);
    git.commit_all("s1 everywhere");
    ok(&ws.run(&["promote", "s2", "--env", "prod"]));
    git.set_time(1_767_229_200);
    git.commit_all("prod: s2");
    ok(&ws.run(&["rollback", "--env", "prod"]));
    assert_eq!(ws.read("snapset.kdl"), CONFIG);
    assert!(!ws.path("snapshots/prod-rollback.kdl").exists());
}
