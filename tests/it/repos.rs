//! Services in several repositories (`repo NAME path=PATH`, `repo=NAME`):
//! every command reads a service's commits in its own repository, errors
//! name the repository, and a tree-only or shallow clone is enough or
//! fails clearly.

use crate::common;

use common::two_repos::TwoRepos;
use common::workspace::{TestWorkspace, redact};

fn git(args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// Clones `from` bare into `to` with extra `git clone` arguments.
fn clone(from: &std::path::Path, to: &std::path::Path, extra: &[&str]) {
    git(&[
        "-C",
        &from.display().to_string(),
        "config",
        "uploadpack.allowFilter",
        "true",
    ]);
    let url = format!("file://{}", from.display());
    let mut args = vec!["clone", "--quiet", "--bare"];
    args.extend_from_slice(extra);
    args.push(&url);
    let to = to.display().to_string();
    args.push(&to);
    git(&args);
}

fn ok(ws: &TestWorkspace, args: &[&str]) -> String {
    let run = ws.run(args);
    assert_eq!(
        run.code, 0,
        "{args:?}\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    redact(&run.stdout, ws)
}

fn fails(ws: &TestWorkspace, args: &[&str]) -> String {
    let run = ws.run(args);
    assert_eq!(
        run.code, 2,
        "{args:?}\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    redact(&run.stderr, ws)
}

#[test]
fn render_and_check_read_each_service_in_its_repository() {
    let t = TwoRepos::new();
    ok(&t.ws, &["render"]);
    let json: serde_json::Value =
        serde_json::from_str(&t.ws.read("out/dev/snapshot.json")).unwrap();
    let services = json["services"].as_array().unwrap();
    let invoice = services.iter().find(|s| s["name"] == "invoice").unwrap();
    assert_eq!(invoice["repo"], "billing");
    assert_eq!(invoice["path"], ".");
    assert_eq!(invoice["tracks"][0]["commit"], t.invoice[0].as_str());
    // The default repository's services carry no "repo".
    let cart = services.iter().find(|s| s["name"] == "cart").unwrap();
    assert!(cart.get("repo").is_none(), "{cart}");
    let check = t.ws.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    // Every commit of a whole-repository service touches it: no warning.
    assert!(
        !check.stderr.contains("changes nothing"),
        "{}",
        check.stderr
    );
}

#[test]
fn a_pin_of_another_repository_is_not_found_and_names_the_repository() {
    let t = TwoRepos::new();
    t.write_s1(&format!(
        "    service \"invoice\" commit=\"{}\"\n",
        &t.shop.cart2[..10]
    ));
    insta::assert_snapshot!(fails(&t.ws, &["check"]));
}

#[test]
fn requires_is_proved_in_the_required_services_repository() {
    let t = TwoRepos::new();
    let requires = |pin: usize| {
        t.write_s1(&format!(
            "    service \"invoice\" commit=\"{}\"\n    service \"cart\" commit=\"{}\" {{\n        requires \"invoice\" since=\"{}\"\n    }}\n",
            &t.invoice[pin][..10],
            &t.shop.cart2[..10],
            &t.invoice[1][..10]
        ));
        // cart is pinned twice otherwise: drop the first pin.
        let text = t.ws.read("snapshots/s1.kdl").replacen(
            &format!("    service \"cart\" commit=\"{}\"\n", &t.shop.cart1[..10]),
            "",
            1,
        );
        t.ws.write("snapshots/s1.kdl", &text);
    };
    requires(0);
    insta::assert_snapshot!(fails(&t.ws, &["check"]));
    requires(2);
    ok(&t.ws, &["check"]);
}

#[test]
fn bump_moves_a_service_in_its_repository() {
    let t = TwoRepos::new();
    insta::assert_snapshot!(ok(&t.ws, &["bump", "s1", "invoice"]));
    assert!(t.ws.read("snapshots/s1.kdl").contains(&t.invoice[2][..10]));
    // --to names a revision of the service's repository.
    insta::assert_snapshot!(
        "bump_to",
        ok(&t.ws, &["bump", "s1", "invoice", "--to", &t.invoice[1]])
    );
    // A revision only the other repository has is an error naming the repository.
    insta::assert_snapshot!(
        "bump_to_unknown",
        fails(&t.ws, &["bump", "s1", "invoice", "--to", &t.shop.cart2])
    );
}

#[test]
fn bump_all_walks_every_repository() {
    let t = TwoRepos::new();
    insta::assert_snapshot!(ok(&t.ws, &["bump", "s1", "--all"]));
    let s1 = t.ws.read("snapshots/s1.kdl");
    for pin in [&t.shop.cart2, &t.shop.taxe2, &t.shop.tower2, &t.invoice[2]] {
        assert!(s1.contains(&pin[..10]), "{s1}");
    }
}

#[test]
fn changelog_and_diff_list_the_commits_of_the_services_repository() {
    let t = TwoRepos::new();
    ok(&t.ws, &["render"]);
    t.pin_invoice(2);
    insta::assert_snapshot!("changelog", ok(&t.ws, &["changelog", "--env", "dev"]));
    let diff = t.ws.run(&["diff", "--env", "dev"]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    insta::assert_snapshot!("diff", redact(&diff.stdout, &t.ws));
}

#[test]
fn status_compares_in_the_services_repository() {
    let t = TwoRepos::new();
    let deployment = |name: &str, commit: &str| {
        serde_json::json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": name,
                "namespace": "shop-dev",
                "labels": {"app": name},
                "annotations": {"snapset.dev/commit": commit}
            },
            "spec": {"template": {"spec": {"containers": [{"name": name, "image": format!("x/{name}:{commit}")}]}}}
        })
    };
    let live = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            deployment("cart", &t.shop.cart1),
            deployment("invoice", &t.invoice[2]),
            // A commit of the shop is not one of invoice's.
            deployment("taxe", &t.invoice[0]),
        ]
    });
    t.ws.write("live.json", &live.to_string());
    let run = t.ws.run(&["status", "--env", "dev", "--live", "live.json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!(redact(&run.stdout, &t.ws));
}

#[test]
fn snapshot_new_pins_every_repository() {
    let t = TwoRepos::new();
    ok(&t.ws, &["snapshot", "new", "s2"]);
    insta::assert_snapshot!(t.ws.read("snapshots/s2.kdl"));
}

#[test]
fn config_errors_name_the_repository_at_its_line() {
    let t = TwoRepos::new();
    let config = t.ws.read("snapset.kdl");
    t.ws.write(
        "snapset.kdl",
        &config.replace("repo=\"billing\"", "repo=\"biling\""),
    );
    insta::assert_snapshot!("unknown_repo", fails(&t.ws, &["check"]));
    t.ws.write(
        "snapset.kdl",
        &config.replace(
            "repo \"billing\" path=\"../billing.git\"\n",
            "repo \"billing\" path=\"../billing.git\"\nrepo \"billing\" path=\"../shop.git\"\n",
        ),
    );
    insta::assert_snapshot!("duplicate_repo", fails(&t.ws, &["check"]));
    std::fs::create_dir_all(t.ws.path("not-git")).unwrap();
    t.ws.write(
        "snapset.kdl",
        &config.replace("path=\"../billing.git\"", "path=\"not-git\""),
    );
    insta::assert_snapshot!("not_a_repository", fails(&t.ws, &["check"]));
}

/// A tree-only mirror (`--filter=blob:none`) of both repositories: snapset
/// reads commits and trees, never file contents.
#[test]
fn every_command_works_on_tree_only_mirrors() {
    let t = TwoRepos::new();
    let parent = t.ws.root.parent().unwrap().to_path_buf();
    clone(
        t.ws.git.path(),
        &parent.join("shop-mirror.git"),
        &["--filter=blob:none"],
    );
    clone(
        t.billing.path(),
        &parent.join("billing-mirror.git"),
        &["--filter=blob:none"],
    );
    // The mirrors really lack the blobs.
    let blob = t
        .billing
        .repo()
        .find_commit(git2::Oid::from_str(&t.invoice[0]).unwrap())
        .unwrap()
        .tree()
        .unwrap()
        .get_name("main.go")
        .unwrap()
        .id();
    let mirror = git2::Repository::open_bare(parent.join("billing-mirror.git")).unwrap();
    assert!(mirror.find_blob(blob).is_err(), "the clone holds blobs");
    let config =
        t.ws.read("snapset.kdl")
            .replace("\"../shop.git\"", "\"../shop-mirror.git\"")
            .replace("\"../billing.git\"", "\"../billing-mirror.git\"");
    t.ws.write("snapset.kdl", &config);
    ok(&t.ws, &["render"]);
    t.pin_invoice(1);
    let diff = t.ws.run(&["diff", "--env", "dev"]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    assert!(diff.stdout.contains("invoice: change 2"), "{}", diff.stdout);
    let changelog = ok(&t.ws, &["changelog", "--env", "dev"]);
    assert!(changelog.contains("invoice: change 2"), "{changelog}");
    let bump = ok(&t.ws, &["bump", "s1", "--all"]);
    assert!(bump.contains("invoice: change 3"), "{bump}");
    ok(&t.ws, &["render"]);
    let live = format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"invoice","labels":{{"app":"invoice"}},"annotations":{{"snapset.dev/commit":"{}"}}}},"spec":{{}}}}]}}"#,
        t.invoice[1]
    );
    t.ws.write("live.json", &live);
    let status = t.ws.run(&["status", "--env", "dev", "--live", "live.json"]);
    assert_eq!(status.code, 1, "{}", status.stderr);
    assert!(status.stdout.contains("live-older"), "{}", status.stdout);
    let report = t.ws.run(&["report", "--output", "page.html"]);
    assert_eq!(report.code, 0, "{}", report.stderr);
}

/// A shallow clone of billing lacks invoice's older commits: the pin is an
/// error naming the repository, not a wrong answer.
#[test]
fn a_shallow_clone_without_the_pinned_commit_is_an_error() {
    let t = TwoRepos::new();
    let parent = t.ws.root.parent().unwrap().to_path_buf();
    clone(
        t.billing.path(),
        &parent.join("billing-shallow.git"),
        &["--depth", "1"],
    );
    let config =
        t.ws.read("snapset.kdl")
            .replace("\"../billing.git\"", "\"../billing-shallow.git\"");
    t.ws.write("snapset.kdl", &config);
    insta::assert_snapshot!(fails(&t.ws, &["check"]));
    // The commit it has works: every commit of a whole-repository service
    // touches it, no parent needed.
    t.pin_invoice(2);
    ok(&t.ws, &["check"]);
    // A walk that reaches where the shop's shallow history stops cannot
    // say which commit last touched a path: an error, not the cut commit.
    clone(
        t.ws.git.path(),
        &parent.join("shop-shallow.git"),
        &["--depth", "1"],
    );
    let config =
        t.ws.read("snapset.kdl")
            .replace("\"../shop.git\"", "\"../shop-shallow.git\"");
    t.ws.write("snapset.kdl", &config);
    insta::assert_snapshot!("shallow_walk", fails(&t.ws, &["snapshot", "new", "s2"]));
}

/// The default repository is the workspace itself (`repo` left out, or
/// `repo "."`): errors, `status` and the release page name it in words,
/// never as a bare `.`.
#[test]
fn the_workspace_s_own_repository_is_named_in_words() {
    use common::git_fixture::GitFixture;
    let ws = TestWorkspace::empty();
    let mut repo = GitFixture::init(&ws.root);
    let cart = repo.commit(
        "cart: first",
        &[("services/cart/main.go", "package cart\n")],
    );
    ws.write(
        "snapset.kdl",
        "service \"cart\" path=\"services/cart\" port=8080\nenvironment \"dev\" snapshot=\"s1\" varset=\"dev\"\n",
    );
    ws.write("varsets/dev.kdl", "varset \"dev\" {\n}\n");
    ws.write(
        "snapshots/s1.kdl",
        "snapshot \"s1\" {\n    service \"cart\" commit=\"deadbeef00\"\n}\n",
    );
    let missing = fails(&ws, &["check"]);
    assert!(
        missing.contains("commit `deadbeef00` is not in the workspace's repository"),
        "{missing}"
    );
    // `repo "."` written out is the same repository, named the same way.
    ws.write(
        "snapset.kdl",
        &format!("repo \".\"\n{}", ws.read("snapset.kdl")),
    );
    assert_eq!(fails(&ws, &["check"]), missing);

    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "snapshot \"s1\" {{\n    service \"cart\" commit=\"{}\"\n}}\n",
            &cart[..10]
        ),
    );
    let live = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "cart", "namespace": "dev", "labels": {"app": "cart"},
                     "annotations": {"snapset.dev/commit": "0123456789abcdef"}},
        "spec": {"template": {"spec": {"containers": [{"name": "cart", "image": "cart:1"}]}}}
    });
    ws.write("live.json", &live.to_string());
    let run = ws.run(&["status", "--env", "dev", "--live", "live.json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("(not a commit of the workspace's repository)"),
        "{}",
        run.stdout
    );
    ok(&ws, &["report", "-o", "page.html"]);
    let page = ws.read("page.html");
    assert!(
        page.contains("commits of the workspace&#39;s repository")
            || page.contains("commits of the workspace's repository"),
        "{page}"
    );
    assert!(!page.contains("<code>.</code>"), "{page}");
}
