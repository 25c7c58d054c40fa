//! `--with-image` on `bump`, `bump --all` and `canary start` (issue 20)
//! against a real registry (Debian's docker-registry on a free loopback
//! port, as in tests/it/images.rs): CI pushes images after the merge, so the
//! newest commit touching a path may have none yet; it is passed over, and
//! the report says which and why. A registry that cannot be reached, or
//! refuses the credentials, is exit 2 with nothing written.

use crate::common;

use common::registry::{Auth, Manifest, TestRegistry, basic, run_at, shop_on};
use common::workspace::{Run, Shop, TestWorkspace};

fn run(ws: &TestWorkspace, args: &[&str]) -> Run {
    run_at(&ws.root, args, &[])
}

/// The shop with a third commit of cart, whose image CI has not pushed:
/// the registry has cart 1 and 2, taxe 1 and 2, and tower 1 only.
fn shop_with_late_images(registry: &TestRegistry) -> (TestWorkspace, Shop, String) {
    let (mut ws, shop) = shop_on(&registry.host);
    let cart3 = ws.git.commit(
        "cart: add coupons",
        &[("services/cart/main.go", "package cart // 3\n")],
    );
    for (repository, tag) in [
        ("shop/cart", &shop.cart1),
        ("shop/cart", &shop.cart2),
        ("shop/taxe", &shop.taxe1),
        ("shop/taxe", &shop.taxe2),
        ("shop/tower", &shop.tower1),
    ] {
        registry.push(repository, tag, Manifest::Oci);
    }
    (ws, shop, cart3)
}

/// Output with the registry's port and the hashes named.
fn named(text: &str, registry: &TestRegistry, shop: &Shop, cart3: &str) -> String {
    let mut text = text.replace(&registry.host, "127.0.0.1:PORT");
    for (name, commit) in [
        ("CART1", shop.cart1.as_str()),
        ("CART2", &shop.cart2),
        ("CART3", cart3),
        ("TAXE1", &shop.taxe1),
        ("TAXE2", &shop.taxe2),
        ("TOWER1", &shop.tower1),
        ("TOWER2", &shop.tower2),
    ] {
        for len in [40, 10, 8] {
            text = text.replace(&commit[..len], &format!("{name}_{len}"));
        }
    }
    text
}

#[test]
fn bump_passes_over_the_newest_commits_whose_image_is_not_pushed() {
    let registry = TestRegistry::start(Auth::None);
    let (ws, shop, cart3) = shop_with_late_images(&registry);
    let original = ws.read("snapshots/s1.kdl");

    let one = run(&ws, &["bump", "s1", "cart", "--with-image"]);
    assert_eq!(one.code, 0, "{one:?}");
    assert!(ws.read("snapshots/s1.kdl").contains(&shop.cart2[..10]));
    let mut told = format!("$ snapset bump s1 cart --with-image\n{}", one.stdout);

    ws.write("snapshots/s1.kdl", &original);
    let all = run(&ws, &["bump", "s1", "--all", "--with-image"]);
    assert_eq!(all.code, 0, "{all:?}");
    told.push_str(&format!(
        "$ snapset bump s1 --all --with-image\n{}=== snapshots/s1.kdl\n{}",
        all.stdout,
        ws.read("snapshots/s1.kdl")
    ));
    insta::assert_snapshot!("bump_with_image", named(&told, &registry, &shop, &cart3));
    // What was found present is remembered, as `snapset images` does.
    let cache = std::fs::read_to_string(ws.cache_file("images").unwrap()).unwrap();
    assert!(
        cache.contains(&format!("shop/cart:{}", shop.cart2)),
        "{cache}"
    );
    assert!(
        !cache.contains(&cart3),
        "a missing image is asked again: {cache}"
    );

    // Without --with-image, bump takes the newest commit, image or not.
    ws.write("snapshots/s1.kdl", &original);
    assert_eq!(run(&ws, &["bump", "s1", "cart"]).code, 0);
    assert!(ws.read("snapshots/s1.kdl").contains(&cart3[..10]));
}

#[test]
fn canary_start_takes_the_newest_commit_with_an_image() {
    let registry = TestRegistry::start(Auth::None);
    let (ws, shop, cart3) = shop_with_late_images(&registry);
    let started = run(&ws, &["canary", "start", "s1", "cart", "--with-image"]);
    assert_eq!(started.code, 0, "{started:?}");
    let told = format!(
        "$ snapset canary start s1 cart --with-image\n{}=== snapshots/s1.kdl\n{}",
        started.stdout,
        ws.read("snapshots/s1.kdl")
    );
    insta::assert_snapshot!(
        "canary_start_with_image",
        named(&told, &registry, &shop, &cart3)
    );

    // tower's only newer commit has no image: nothing newer to start.
    let before = ws.read("snapshots/s1.kdl");
    let refused = run(&ws, &["canary", "start", "s1", "tower", "--with-image"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("snapshots/s1.kdl:"),
        "{}",
        refused.stderr
    );
    assert_eq!(ws.read("snapshots/s1.kdl"), before);
    insta::assert_snapshot!(
        "canary_start_with_image_nothing_newer",
        named(&refused.stderr, &registry, &shop, &cart3)
    );
}

#[test]
fn no_commit_with_an_image_is_an_error_at_the_pin() {
    let registry = TestRegistry::start(Auth::None);
    let (ws, shop) = shop_on(&registry.host);
    let before = ws.read("snapshots/s1.kdl");
    let run = run(&ws, &["bump", "s1", "--all", "--with-image"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(ws.read("snapshots/s1.kdl"), before);
    insta::assert_snapshot!(
        "bump_with_image_none",
        named(&run.stderr, &registry, &shop, &"0".repeat(40))
    );
}

#[test]
fn an_unreachable_registry_writes_nothing() {
    let mut registry = TestRegistry::start(Auth::None);
    let (ws, _, _) = shop_with_late_images(&registry);
    registry.stop();
    let before = ws.read("snapshots/s1.kdl");
    for args in [
        &["bump", "s1", "cart", "--with-image"][..],
        &["bump", "s1", "--all", "--with-image"],
        &["canary", "start", "s1", "cart", "--with-image"],
    ] {
        let run = run(&ws, args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains(&format!("registry {}", registry.host)),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(ws.read("snapshots/s1.kdl"), before, "{args:?}");
    }
}

#[test]
fn credentials_come_from_docker_config_as_for_images() {
    let registry = TestRegistry::start(Auth::Basic("ci", "s3cret-pw"));
    let (ws, shop, _) = shop_with_late_images(&registry);
    let before = ws.read("snapshots/s1.kdl");
    let anonymous = run(&ws, &["bump", "s1", "cart", "--with-image"]);
    assert_eq!(anonymous.code, 2, "{anonymous:?}");
    assert!(anonymous.stderr.contains("401"), "{}", anonymous.stderr);
    assert_eq!(ws.read("snapshots/s1.kdl"), before);

    let dir = ws.root.parent().unwrap().join("docker");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            registry.host,
            &basic("ci", "s3cret-pw")["Basic ".len()..]
        ),
    )
    .unwrap();
    let with = run_at(
        &ws.root,
        &["bump", "s1", "cart", "--with-image"],
        &[("DOCKER_CONFIG", dir.display().to_string())],
    );
    assert_eq!(with.code, 0, "{with:?}");
    assert!(ws.read("snapshots/s1.kdl").contains(&shop.cart2[..10]));
}
