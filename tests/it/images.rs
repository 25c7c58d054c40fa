//! `snapset images` and `snapset lock` against a real registry (Debian's
//! docker-registry, started per test on a free loopback port): present and
//! missing images, Basic auth from a DOCKER_CONFIG folder, a credential
//! helper, Bearer challenges (`auth.silly`, and `auth.token` verifying RS256
//! tokens of a stub token server), an identity token, a registry that is
//! down, a 429 that passes on retry, a redirect loop, and `lock` → `render`
//! with the registry stopped.
//! Without docker-registry the tests fail, saying how to install it.

use crate::common;

use std::path::Path;

use common::http_stub::{HttpStub, response};
use common::registry::{Auth, Manifest, TestRegistry, basic, free_port, run_at, shop_on};
use common::token_signer::{ISSUER, TokenSigner};
use common::workspace::{Run, Shop, TestWorkspace, copy_dir};

fn run(ws: &TestWorkspace, args: &[&str], extra: &[(&str, String)]) -> Run {
    run_at(&ws.root, args, extra)
}

/// Output with the registry's port and the commits' hashes made stable.
fn stable(text: &str, host: &str, shop: &Shop) -> String {
    let mut text = text.replace(host, "127.0.0.1:PORT");
    for (name, commit) in [
        ("CART1", &shop.cart1),
        ("TAXE1", &shop.taxe1),
        ("TOWER1", &shop.tower1),
    ] {
        text = text.replace(commit.as_str(), name);
    }
    text
}

fn docker_config(ws: &TestWorkspace, json: &str) -> String {
    let dir = ws.root.parent().unwrap().join("docker");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.json"), json).unwrap();
    dir.display().to_string()
}

fn push_shop(registry: &TestRegistry, shop: &Shop, tower: bool) {
    registry.push("shop/cart", &shop.cart1, Manifest::Oci);
    registry.push("shop/taxe", &shop.taxe1, Manifest::Docker);
    if tower {
        registry.push("shop/tower", &shop.tower1, Manifest::Oci);
    }
}

#[test]
fn missing_images_are_listed_at_their_snapshot_line_and_found_ones_cached() {
    let mut registry = TestRegistry::start(Auth::None);
    let (ws, shop) = shop_on(&registry.host);
    push_shop(&registry, &shop, false);

    let first = run(&ws, &["images"], &[]);
    assert_eq!(first.code, 1, "{first:?}");
    insta::assert_snapshot!(
        "images_missing_table",
        stable(&first.stdout, &registry.host, &shop)
    );

    let json = run(&ws, &["images", "--format", "json"], &[]);
    assert_eq!(json.code, 1, "{json:?}");
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["missing"], 1);
    assert_eq!(value["present"], 2);
    // OCI and Docker manifests both count as present (the Accept header
    // lists both types), and the found ones now come from the cache.
    let cached: Vec<bool> = value["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["cached"].as_bool().unwrap())
        .collect();
    assert_eq!(cached, [true, true, false]);
    insta::assert_snapshot!(
        "images_missing_json",
        stable(&json.stdout, &registry.host, &shop)
    );

    // A missing image is always asked again: with the registry down, that
    // is an error naming it.
    registry.stop();
    let down = run(&ws, &["images"], &[]);
    assert_eq!(down.code, 2, "{down:?}");
    assert!(
        down.stderr.contains(&format!("registry {}", registry.host)),
        "{}",
        down.stderr
    );
}

#[test]
fn every_image_present_exits_0_and_refresh_asks_again() {
    let mut registry = TestRegistry::start(Auth::None);
    let (ws, shop) = shop_on(&registry.host);
    push_shop(&registry, &shop, true);
    let ok = run(&ws, &["images"], &[]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert_eq!(ok.stdout, "3 images: 3 present, 0 missing\n");
    let again = run(&ws, &["images"], &[]);
    assert_eq!(
        again.stdout,
        "3 images: 3 present (3 known from the cache), 0 missing\n"
    );
    registry.stop();
    let cached = run(&ws, &["images"], &[]);
    assert_eq!(cached.code, 0, "the cache answers: {cached:?}");
    let refresh = run(&ws, &["images", "--refresh"], &[]);
    assert_eq!(
        refresh.code, 2,
        "--refresh asks the stopped registry: {refresh:?}"
    );
}

/// Issue 32: an image cache committed in the pull request (`.snapset/images`
/// saying tower's image exists) is not read: the registry is asked.
#[test]
fn a_committed_image_cache_is_not_believed() {
    let registry = TestRegistry::start(Auth::None);
    let (ws, shop) = shop_on(&registry.host);
    push_shop(&registry, &shop, false);
    let mut forged = String::from("# snapset cache: images their registry said exist.\n");
    for (service, commit) in [
        ("cart", &shop.cart1),
        ("taxe", &shop.taxe1),
        ("tower", &shop.tower1),
    ] {
        forged.push_str(&format!("{}/shop/{service}:{commit} -\n", registry.host));
    }
    ws.write(".snapset/images", &forged);
    let run = run(&ws, &["images"], &[]);
    assert_eq!(run.code, 1, "tower's image is missing: {run:?}");
    assert_eq!(
        run.stdout.lines().last(),
        Some("3 images: 2 present, 1 missing")
    );
}

#[test]
fn basic_auth_with_credentials_from_docker_config() {
    let registry = TestRegistry::start(Auth::Basic("ci", "s3cret-pw"));
    let (ws, shop) = shop_on(&registry.host);
    push_shop(&registry, &shop, true);

    let anonymous = run(&ws, &["images"], &[]);
    assert_eq!(anonymous.code, 2, "{anonymous:?}");
    assert!(
        anonymous.stderr.contains(&registry.host),
        "{}",
        anonymous.stderr
    );
    assert!(anonymous.stderr.contains("401"), "{}", anonymous.stderr);

    let wrong = docker_config(
        &ws,
        &format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            registry.host,
            &basic("ci", "wrong-pw")["Basic ".len()..]
        ),
    );
    let denied = run(&ws, &["images"], &[("DOCKER_CONFIG", wrong)]);
    assert_eq!(denied.code, 2, "{denied:?}");
    assert!(
        denied.stderr.contains("with the credentials found"),
        "{}",
        denied.stderr
    );
    assert!(!denied.stderr.contains("wrong-pw") && !denied.stdout.contains("wrong-pw"));

    let good = docker_config(
        &ws,
        &format!(
            r#"{{"auths":{{"http://{}/v2/":{{"auth":"{}"}}}}}}"#,
            registry.host,
            &basic("ci", "s3cret-pw")["Basic ".len()..]
        ),
    );
    let ok = run(&ws, &["images"], &[("DOCKER_CONFIG", good)]);
    assert_eq!(ok.code, 0, "{ok:?}");
}

#[test]
fn credentials_from_a_credential_helper_on_path() {
    let registry = TestRegistry::start(Auth::Basic("helped", "from-helper"));
    let (ws, shop) = shop_on(&registry.host);
    push_shop(&registry, &shop, true);
    let bin = ws.root.parent().unwrap().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("docker-credential-test");
    let asked = ws.root.parent().unwrap().join("asked");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread host\necho \"$host\" >> {}\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"helped\",\"Secret\":\"from-helper\"}}' \"$host\"\n",
            asked.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = docker_config(
        &ws,
        &format!(r#"{{"credHelpers":{{"{}":"test"}}}}"#, registry.host),
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let ok = run(
        &ws,
        &["images"],
        &[("DOCKER_CONFIG", config), ("PATH", path)],
    );
    assert_eq!(ok.code, 0, "{ok:?}");
    assert_eq!(
        std::fs::read_to_string(&asked).unwrap(),
        format!("{}\n", registry.host),
        "the helper runs once, with the host on stdin"
    );
}

#[test]
fn bearer_challenge_fetches_a_token_with_the_credentials() {
    // auth.silly: the registry challenges with Bearer realm/service/scope
    // and accepts any token; the realm is a stub that hands one out.
    let tokens = HttpStub::start(|_, _| {
        response(
            "200 OK",
            &[("Content-Type", "application/json")],
            r#"{"token":"t0ken"}"#,
        )
    });
    let registry = TestRegistry::start(Auth::Silly {
        realm: format!("http://127.0.0.1:{}/token", tokens.port),
        service: "test-registry".into(),
    });
    let (ws, shop) = shop_on(&registry.host);
    push_shop(&registry, &shop, true);
    let config = docker_config(
        &ws,
        &format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            registry.host,
            &basic("bob", "tok-pw")["Basic ".len()..]
        ),
    );
    let ok = run(&ws, &["images"], &[("DOCKER_CONFIG", config)]);
    assert_eq!(ok.code, 0, "{ok:?}");
    let asked = tokens.requests();
    assert_eq!(asked.len(), 3, "one token per repository: {asked:?}");
    for request in &asked {
        assert!(request.starts_with("GET /token?"), "{request}");
        assert!(request.contains("service=test-registry"), "{request}");
        assert!(request.contains("scope=repository%3Ashop%2F"), "{request}");
        assert!(
            request.to_ascii_lowercase().contains(
                &format!("authorization: {}", basic("bob", "tok-pw")).to_ascii_lowercase()
            ),
            "{request}"
        );
    }
}

/// `auth.token` as production registries run it: the registry accepts
/// only RS256 tokens signed by the token server's certificate, and the
/// token server (a stub signing with openssl) only hands them to bob.
#[test]
fn a_token_server_signs_tokens_the_registry_verifies() {
    let keys = tempfile::tempdir().unwrap();
    let signer = std::sync::Arc::new(TokenSigner::new(keys.path()));
    let service = "test-registry";
    let server = signer.clone();
    let tokens = HttpStub::start(move |head, _| {
        let query = head.split_whitespace().nth(1).unwrap_or("");
        let scope = query
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("scope="))
            .unwrap_or("")
            .replace("%3A", ":")
            .replace("%2F", "/");
        let bob = basic("bob", "tok-pw").to_ascii_lowercase();
        if !head
            .to_ascii_lowercase()
            .contains(&format!("authorization: {bob}"))
        {
            return response("401 Unauthorized", &[], "");
        }
        let repository = scope.split(':').nth(1).unwrap_or("");
        let token = server.sign(service, &[(repository, &["pull"])]);
        response(
            "200 OK",
            &[("Content-Type", "application/json")],
            &format!(r#"{{"token":"{token}"}}"#),
        )
    });
    let push_token = signer.sign(
        service,
        &[
            ("shop/cart", &["pull", "push"]),
            ("shop/taxe", &["pull", "push"]),
            ("shop/tower", &["pull", "push"]),
        ],
    );
    let registry = TestRegistry::start(Auth::Token {
        realm: format!("http://127.0.0.1:{}/token", tokens.port),
        service: service.into(),
        issuer: ISSUER.into(),
        cert: signer.cert.clone(),
        push_token,
    });
    let (ws, shop) = shop_on(&registry.host);
    push_shop(&registry, &shop, false);
    let config = |password: &str| {
        docker_config(
            &ws,
            &format!(
                r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
                registry.host,
                &basic("bob", password)["Basic ".len()..]
            ),
        )
    };
    let found = run(
        &ws,
        &["images", "--env", "dev"],
        &[("DOCKER_CONFIG", config("tok-pw"))],
    );
    assert_eq!(
        found.code, 1,
        "tower is missing, the others verified: {found:?}"
    );
    assert!(found.stdout.contains("2 present"), "{}", found.stdout);
    let refused = run(
        &ws,
        &["images", "--refresh"],
        &[("DOCKER_CONFIG", config("not-bob"))],
    );
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("token server 127.0.0.1:") && !refused.stderr.contains("not-bob"),
        "{}",
        refused.stderr
    );
}

#[test]
fn an_identity_token_is_exchanged_by_refresh_token_grant() {
    let tokens = HttpStub::start(|_, _| {
        response(
            "200 OK",
            &[("Content-Type", "application/json")],
            r#"{"access_token":"acc"}"#,
        )
    });
    let registry = TestRegistry::start(Auth::Silly {
        realm: format!("http://127.0.0.1:{}/oauth2/token", tokens.port),
        service: "test-registry".into(),
    });
    let (ws, shop) = shop_on(&registry.host);
    push_shop(&registry, &shop, true);
    let config = docker_config(
        &ws,
        &format!(
            r#"{{"auths":{{"{}":{{"identitytoken":"refresh-me"}}}}}}"#,
            registry.host
        ),
    );
    let ok = run(
        &ws,
        &["images", "--env", "dev"],
        &[("DOCKER_CONFIG", config)],
    );
    assert_eq!(ok.code, 0, "{ok:?}");
    let asked = tokens.requests();
    assert!(!asked.is_empty());
    for request in &asked {
        assert!(request.starts_with("POST /oauth2/token"), "{request}");
        assert!(request.contains("grant_type=refresh_token"), "{request}");
        assert!(request.contains("refresh_token=refresh-me"), "{request}");
    }
}

#[test]
fn a_redirect_loop_is_an_error_that_says_so() {
    let stub = HttpStub::start(|head, _| {
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        response("307 Temporary Redirect", &[("Location", &path)], "")
    });
    let host = format!("127.0.0.1:{}", stub.port);
    let (ws, _) = shop_on(&host);
    let looped = run(&ws, &["images", "--env", "dev", "--jobs", "1"], &[]);
    assert_eq!(looped.code, 2, "{looped:?}");
    assert!(
        looped
            .stderr
            .contains(&format!("registry {host}: redirect loop")),
        "{}",
        looped.stderr
    );
}

#[test]
fn a_registry_that_is_down_is_an_error_naming_it() {
    let port = free_port();
    let host = format!("127.0.0.1:{port}");
    let (ws, _) = shop_on(&host);
    let down = run(&ws, &["images"], &[]);
    assert_eq!(down.code, 2, "{down:?}");
    assert!(
        down.stderr
            .contains(&format!("registry {host}: unreachable")),
        "{}",
        down.stderr
    );
    let lock = run(&ws, &["lock"], &[]);
    assert_eq!(lock.code, 2, "{lock:?}");
    assert!(!ws.path("snapset.lock").exists());
}

#[test]
fn too_many_requests_is_retried() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let answer_digest = digest.clone();
    let stub = HttpStub::start(move |_, index| {
        if index == 0 {
            response("429 Too Many Requests", &[("Retry-After", "0")], "")
        } else {
            response("200 OK", &[("Docker-Content-Digest", &answer_digest)], "")
        }
    });
    let host = format!("127.0.0.1:{}", stub.port);
    let (ws, _) = shop_on(&host);
    let ok = run(&ws, &["images", "--jobs", "1", "--env", "dev"], &[]);
    assert_eq!(ok.code, 0, "{ok:?}");
    let requests = stub.requests();
    assert_eq!(
        requests.len(),
        4,
        "three images, one of them twice: {requests:?}"
    );
    assert!(
        requests[0].starts_with("HEAD /v2/shop/cart/manifests/"),
        "{}",
        requests[0]
    );
    let accept = requests[0]
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("accept:"))
        .unwrap();
    for media in [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ] {
        assert!(accept.contains(media), "{accept}");
    }
    assert_eq!(requests[0], requests[1], "the 429 is asked again");
}

fn deployment_image(ws: &TestWorkspace, env: &str, service: &str) -> String {
    ws.read(&format!("out/{env}/{service}/deployment.yaml"))
        .lines()
        .find_map(|l| l.trim().strip_prefix("image: "))
        .expect("a container image")
        .trim_matches('"')
        .to_string()
}

#[test]
fn lock_pins_digests_and_render_stays_offline() {
    let mut registry = TestRegistry::start(Auth::None);
    let (ws, shop) = shop_on(&registry.host);
    let cart = registry.push("shop/cart", &shop.cart1, Manifest::Oci);
    let taxe = registry.push("shop/taxe", &shop.taxe1, Manifest::Docker);
    let tower = registry.push("shop/tower", &shop.tower1, Manifest::Oci);
    let rendered = run(&ws, &["render"], &[]);
    assert_eq!(rendered.code, 0, "{rendered:?}");

    let locked = run(&ws, &["lock"], &[]);
    assert_eq!(locked.code, 0, "{locked:?}");
    assert_eq!(locked.stdout, "locked 3 images in snapset.lock\n");
    let lock = ws.read("snapset.lock");
    insta::assert_snapshot!(
        "lock_file",
        stable(&lock, &registry.host, &shop)
            .replace(&cart, "CART_DIGEST")
            .replace(&taxe, "TAXE_DIGEST")
            .replace(&tower, "TOWER_DIGEST")
    );
    assert_eq!(run(&ws, &["lock", "--check"], &[]).code, 0);
    assert_eq!(run(&ws, &["render"], &[]).code, 0);

    // The tag of cart pushed again with other bytes: the lock would change.
    let cart2 = registry.push_with("shop/cart", &shop.cart1, Manifest::Oci, "2");
    let check = run(&ws, &["lock", "--check"], &[]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(
        check.stdout.contains(&format!(
            "would change {}/shop/cart:{}",
            registry.host, shop.cart1
        )),
        "{}",
        check.stdout
    );
    assert_eq!(ws.read("snapset.lock"), lock, "--check writes nothing");
    // A broken lock stops the commands that read it, not `lock`, which
    // rewrites it.
    ws.write("snapset.lock", "image \"x\" tag=\"1\"\n");
    let broken = run(&ws, &["check"], &[]);
    assert_eq!(broken.code, 2, "{broken:?}");
    assert!(
        broken.stderr.contains("snapset.lock:1:1"),
        "{}",
        broken.stderr
    );
    assert_eq!(run(&ws, &["lock"], &[]).code, 0);
    registry.stop();

    // Offline from here.
    let diff = run(&ws, &["diff"], &[]);
    assert_eq!(diff.code, 1, "{diff:?}");
    assert!(
        diff.stdout.contains(&format!(
            "~ cart: digest {} → {}\n",
            &cart[..19],
            &cart2[..19]
        )),
        "{}",
        diff.stdout
    );
    let markdown = run(&ws, &["diff", "--format", "markdown"], &[]);
    assert!(
        markdown
            .stdout
            .contains(&format!("digest `{}` → `{}`", &cart[..19], &cart2[..19])),
        "{}",
        markdown.stdout
    );
    let rendered = run(&ws, &["render"], &[]);
    assert_eq!(rendered.code, 0, "{rendered:?}");
    assert_eq!(
        deployment_image(&ws, "prod", "cart"),
        format!("{}/shop/cart:{}@{cart2}", registry.host, shop.cart1)
    );
    assert_eq!(
        deployment_image(&ws, "dev", "taxe"),
        format!("{}/shop/taxe:{}@{taxe}", registry.host, shop.taxe1)
    );
    let json: serde_json::Value = serde_json::from_str(&ws.read("out/dev/snapshot.json")).unwrap();
    assert_eq!(json["services"][0]["tracks"][0]["digest"], cart2.as_str());
    let check = run(&ws, &["check"], &[]);
    assert_eq!(check.code, 0, "{check:?}");
    assert_eq!(check.stderr, "", "no unused lock entry");

    // An entry no environment uses is a warning; an image the lock lacks
    // is an error at the snapshot line.
    let extra = format!(
        "{lock}image \"{}/shop/old\" tag=\"1\" digest=\"{cart}\"\n",
        registry.host
    );
    ws.write("snapset.lock", &extra);
    let check = run(&ws, &["check"], &[]);
    assert_eq!(check.code, 0, "{check:?}");
    assert!(
        check.stderr.contains("which no environment uses any more"),
        "{}",
        check.stderr
    );
    let without_tower: String = lock
        .lines()
        .filter(|l| !l.contains("/shop/tower"))
        .map(|l| format!("{l}\n"))
        .collect();
    ws.write("snapset.lock", &without_tower);
    let missing = run(&ws, &["render"], &[]);
    assert_eq!(missing.code, 2, "{missing:?}");
    insta::assert_snapshot!(
        "lock_lacks_an_image",
        stable(&missing.stderr, &registry.host, &shop)
    );
}

/// The example workspace at the repository root, its images on the test
/// registry: all pushed but one, which `images` finds at its snapshot
/// line; then all, and `lock` + `render` write the registry's digests.
#[test]
fn the_example_workspace_against_a_registry() {
    let registry = TestRegistry::start(Auth::None);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in [
        "snapshots",
        "varsets",
        "templates",
        "crds",
        "demo/shop.git",
        "demo/billing.git",
    ] {
        copy_dir(&repo.join(dir), &root.join(dir));
    }
    // Outside git, the copy has no history to prove its path to production.
    let config = common::workspace::without_path_to_production(
        &std::fs::read_to_string(repo.join("snapset.kdl")).unwrap(),
    )
    .replace("registry.example.com", &registry.host);
    std::fs::write(root.join("snapset.kdl"), config).unwrap();

    let first = run_at(&root, &["images", "--format", "json"], &[]);
    assert_eq!(first.code, 1, "{first:?}");
    let found: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    let images = found["images"].as_array().unwrap().clone();
    assert!(images.len() > 6, "{images:?}");
    let (last, rest) = images.split_last().unwrap();
    let mut digests = std::collections::BTreeMap::new();
    for image in rest {
        let digest = registry.push(
            image["repository"].as_str().unwrap(),
            image["tag"].as_str().unwrap(),
            Manifest::Oci,
        );
        digests.insert(image["image"].as_str().unwrap().to_string(), digest);
    }
    let some = run_at(&root, &["images"], &[]);
    assert_eq!(some.code, 1, "{some:?}");
    let missing = last["image"].as_str().unwrap();
    assert!(some.stdout.contains(missing), "{}", some.stdout);
    for u in last["uses"].as_array().unwrap() {
        let at = format!(
            "{}:{}:{}",
            u["file"].as_str().unwrap(),
            u["line"],
            u["column"]
        );
        assert!(at.starts_with("snapshots/"), "{at}");
        assert!(some.stdout.contains(&at), "{at} in {}", some.stdout);
    }
    assert!(some.stdout.ends_with(", 1 missing\n"), "{}", some.stdout);

    digests.insert(
        missing.to_string(),
        registry.push(
            last["repository"].as_str().unwrap(),
            last["tag"].as_str().unwrap(),
            Manifest::Docker,
        ),
    );
    assert_eq!(run_at(&root, &["images"], &[]).code, 0);
    let locked = run_at(&root, &["lock"], &[]);
    assert_eq!(locked.code, 0, "{locked:?}");
    let rendered = run_at(&root, &["render"], &[]);
    assert_eq!(rendered.code, 0, "{rendered:?}");
    for env in ["dev", "integration", "prod/eu-1", "prod/us-1"] {
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root.join(format!("out/{env}/snapshot.json"))).unwrap(),
        )
        .unwrap();
        for service in json["services"].as_array().unwrap() {
            for track in service["tracks"].as_array().unwrap() {
                let image = track["image"].as_str().unwrap();
                let (tagged, digest) = image.split_once('@').expect("pinned by digest");
                assert_eq!(digests[tagged], digest, "{image}");
                assert_eq!(track["digest"], digest);
            }
        }
    }
}
