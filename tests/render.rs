//! `snapset render` and `snapset check` on fixture workspaces: the rendered
//! tree, determinism, and the all-or-nothing promise.

mod common;

use common::workspace::TestWorkspace;

#[test]
fn renders_the_shop_and_is_a_no_op_the_second_time() {
    let (ws, _) = TestWorkspace::shop();
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("shop_dev_tree", ws.tree_text("out/dev"));
    let before = std::fs::metadata(ws.path("out/dev/cart/deployment.yaml"))
        .unwrap()
        .modified()
        .unwrap();
    let again = ws.run(&["render"]);
    assert_eq!(again.code, 0);
    assert!(again.stdout.contains("0 changed"), "{}", again.stdout);
    let after = std::fs::metadata(ws.path("out/dev/cart/deployment.yaml"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "an unchanged file must not be rewritten");
    assert_eq!(ws.run(&["render", "--check"]).code, 0);
}
