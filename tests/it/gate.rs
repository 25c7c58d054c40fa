//! Issue 32: the path to production cannot be fooled by a pull request.
//! Each test is an attack a pull request can make with what it commits
//! (caches, commits' dates, hashes it chooses, a rule switched off for one
//! commit), made here by the test; the verdict of `check` must be the one
//! the honest history gives.

use std::path::Path;

use git2::{ObjectType, Oid, Repository};
use sha2::{Digest, Sha256};

use crate::pipeline::{H, PATH, Pipe, T0, fails, ok, says};

/// Integration took cart 2 at T0 + 3 h; prod pins it in the work tree.
fn prod_takes_cart2_early() -> Pipe {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    p.set("prod", "cart", &cart2);
    p
}

/// The cache file's JSON (after its MAC line).
fn cache_json(file: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(file).unwrap();
    let (_, body) = text.split_once('\n').unwrap();
    serde_json::from_str(body).unwrap()
}

/// Every entry of a cached timeline dated `hours` earlier.
fn shift(json: &mut serde_json::Value, hours: i64) {
    for entry in json["timeline"]["entries"].as_array_mut().unwrap() {
        let time = entry["time"].as_i64().unwrap();
        entry["time"] = (time - hours * H).into();
    }
}

/// Writes `json` as the cache, with a MAC made with the cache folder's own
/// key: what an attacker who could write the git directory would do.
fn forge_with_key(file: &Path, json: &serde_json::Value) {
    let key = std::fs::read(file.parent().unwrap().join("key")).unwrap();
    let body = serde_json::to_vec(json).unwrap();
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(&key);
    let pad = |b: u8| block.map(|x| x ^ b);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(&body)
        .finalize();
    let tag = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    let mut bytes: Vec<u8> = tag
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .into_bytes();
    bytes.push(b'\n');
    bytes.extend_from_slice(&body);
    std::fs::write(file, bytes).unwrap();
}

/// Item 1: A history cache committed in the work tree (`git add -f
/// .snapset/history.json`, every time shifted back 100 h) is never read.
#[test]
fn a_committed_history_cache_is_not_read() {
    let mut p = prod_takes_cart2_early();
    let honest = p.check_at(8);
    fails(&honest);
    says(&honest, "prod needs 24h");
    let mut json = cache_json(&p.history_cache().unwrap());
    shift(&mut json, 100);
    // As the reproduction wrote it (format 1, no MAC), and as the
    // new format would be, without the key.
    json["format"] = 1.into();
    p.ws.write(".snapset/history.json", &json.to_string());
    p.ws.write(".snapset/.gitignore", "");
    p.commit(4, "a cache, committed");
    std::fs::remove_file(p.history_cache().unwrap()).unwrap();
    let run = p.check_at(8);
    fails(&run);
    says(&run, "prod needs 24h");
}

/// Item 1: A cache in the git directory with its times shifted, a run that
/// starts past the end, or entries off the chain changes nothing and never
/// panics, even with a valid MAC.
#[test]
fn a_forged_cache_in_the_git_directory_changes_no_verdict() {
    let p = prod_takes_cart2_early();
    let honest = p.check_at(8);
    fails(&honest);
    let file = p.history_cache().unwrap();
    let real = cache_json(&file);
    let same = |json: &serde_json::Value| {
        forge_with_key(&file, json);
        let run = p.check_at(8);
        assert_eq!((run.code, &run.stderr), (honest.code, &honest.stderr));
    };
    // Times are the chain's, not the file's.
    let mut shifted = real.clone();
    shift(&mut shifted, 100);
    same(&shifted);
    // A run starting at entry 1,000,000 (an index out of bounds before).
    let mut far = real.clone();
    let pins = far["timeline"]["envs"]["integration"]["pins"]["cart"]
        .as_array_mut()
        .unwrap();
    for run in pins {
        run["start"] = 1_000_000.into();
    }
    same(&far);
    // An entry whose commit is not on the chain.
    let mut off = real.clone();
    off["timeline"]["entries"][0]["commit"] = "1234567890123456789012345678901234567890".into();
    same(&off);
    // Edited without the key.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen('0', "1", 70)).unwrap();
    let run = p.check_at(8);
    assert_eq!((run.code, &run.stderr), (honest.code, &honest.stderr));
}

/// Item 1: A committed untouched-path cache does not hide the warning that a
/// pin changes nothing under its service's path.
#[test]
fn a_committed_touched_cache_hides_no_warning() {
    let p = Pipe::new();
    let docs = p.shop.docs.clone();
    let mut p = p;
    p.set("dev", "cart", &docs);
    let honest = p.check_at(2);
    ok(&honest);
    says(&honest, "which changes nothing under services/cart");
    p.ws.write(
        ".snapset/touched",
        &format!("# snapset cache\n{docs} 1 services/cart\n"),
    );
    p.ws.write(".snapset/.gitignore", "");
    p.commit(2, "a cache, committed");
    let run = p.check_at(3);
    says(&run, "which changes nothing under services/cart");
}

/// Item 2: Integration ran cart 2 for a day, pinned by a 7-digit prefix. A
/// commit made to share that prefix (found here by a birthday search, as
/// an attacker would grind one) and pinned by its full hash in prod proves
/// nothing: the prefix now names two commits.
#[test]
fn a_commit_sharing_an_old_pins_prefix_proves_nothing() {
    let mut p = Pipe::new();
    let shop = Repository::open(p.ws.root.parent().unwrap().join("shop.git")).unwrap();
    let (honest, forged) = colliding_commits(&shop, &p.shop.cart2);
    let prefix = &honest.to_string()[..7];
    p.set("dev", "cart", &honest.to_string());
    p.commit(2, "dev: cart");
    p.ws.write(
        "snapshots/integration.kdl",
        &p.ws
            .read("snapshots/integration.kdl")
            .replace(&p.shop.cart1[..10], prefix),
    );
    p.commit(3, "integration: cart, by a short hash");
    let cart1 = p.shop.cart1.clone();
    p.set("integration", "cart", &cart1);
    p.commit(30, "integration: back to cart 1");
    let prod =
        p.ws.read("snapshots/prod.kdl")
            .replace(&cart1[..10], &forged.to_string());
    p.ws.write("snapshots/prod.kdl", &prod);
    let run = p.check_at(31);
    fails(&run);
    says(&run, "never pinned in integration");
    // The honest commit by its full hash: the prefix integration ran is
    // ambiguous now, so it proves nothing either.
    p.ws.write(
        "snapshots/prod.kdl",
        &prod.replace(&forged.to_string(), &honest.to_string()),
    );
    fails(&p.check_at(31));
}

/// Two commits of `repo` (children of `parent`, its tree) whose hashes
/// share their first 7 hex digits, written into the repository.
fn colliding_commits(repo: &Repository, parent: &str) -> (Oid, Oid) {
    let parent = repo.find_commit(Oid::from_str(parent).unwrap()).unwrap();
    let body = |nonce: u32| {
        format!(
            "tree {}\nparent {}\nauthor Fixture <fixture@example.com> {} +0000\n\
             committer Fixture <fixture@example.com> {} +0000\n\ncart: tweak {nonce}\n",
            parent.tree_id(),
            parent.id(),
            T0 - 24 * H,
            T0 - 24 * H
        )
    };
    let mut seen = std::collections::HashMap::new();
    for nonce in 0u32.. {
        let text = body(nonce);
        let oid = Oid::hash_object(ObjectType::Commit, text.as_bytes()).unwrap();
        let key = u32::from_be_bytes(oid.as_bytes()[..4].try_into().unwrap()) >> 4;
        if let Some(other) = seen.insert(key, nonce) {
            let odb = repo.odb().unwrap();
            let a = odb
                .write(ObjectType::Commit, body(other).as_bytes())
                .unwrap();
            let b = odb.write(ObjectType::Commit, text.as_bytes()).unwrap();
            assert_eq!(a.to_string()[..7], b.to_string()[..7]);
            return (a, b);
        }
    }
    unreachable!("a collision of 28 bits is found within 2^32 tries")
}

/// Item 3: A prod take dated 30 h in the future passes no soak: its time is
/// "now".
#[test]
fn a_take_dated_in_the_future_is_taken_now() {
    let mut p = prod_takes_cart2_early();
    p.commit(34, "prod: cart 2, dated 30 h ahead");
    let run = p.check_at(4);
    fails(&run);
    says(&run, "prod needs 24h");
}

/// Item 3: An upstream take dated 100 h before its parent makes no soak out of
/// nothing: a commit is never older than the one before it.
#[test]
fn a_take_dated_before_its_parent_is_not_older() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(-100, "integration: cart 2, dated 100 h back");
    p.set("prod", "cart", &cart2);
    let run = p.check_at(4);
    fails(&run);
    says(&run, "prod needs 24h");
}

/// Item 3: A take dated after a freeze window does not escape it: it is taken
/// now, inside the window.
#[test]
fn a_take_dated_after_a_freeze_is_still_in_it() {
    let freeze = "freeze \"prod\" from=\"2026-01-01T10:00Z\" until=\"2026-01-03T00:00Z\" reason=\"year start\"\n";
    let mut p = Pipe::declaring(&format!("{PATH}{freeze}"));
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    p.set("prod", "cart", &cart2);
    p.commit(100, "prod: cart 2, dated after the freeze");
    let run = p.check_at(30);
    fails(&run);
    says(&run, "year start");
}

/// Item 4: A rule dropped in one commit, a pin taken, the rule restored in the
/// next: the net diff is one pin line, and the pin is judged by the rule.
#[test]
fn a_rule_removed_and_restored_still_judges_the_pin() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.config(&PATH.replace(" from=\"integration\" soak=\"24h\"", ""));
    p.set("prod", "cart", &cart2);
    p.commit(2, "prod: cart 2, no rule");
    p.config(PATH);
    p.commit(3, "the rule again");
    let run = p.check_at(4);
    fails(&run);
    says(&run, "never pinned in integration");
    // Lowering the soak for one commit is switching it off too.
    let mut p = Pipe::new();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    p.config(&PATH.replace("soak=\"24h\"", "soak=\"1h\""));
    p.set("prod", "cart", &cart2);
    p.commit(5, "prod: cart 2 after 2 h, soak 1h");
    p.config(PATH);
    p.commit(6, "soak 24h again");
    let run = p.check_at(7);
    fails(&run);
    says(&run, "prod needs 24h");
}
