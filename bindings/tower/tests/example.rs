//! The axum example (`examples/rust/axum_server.rs`) runs and answers as it says.

#[path = "../../../examples/rust/axum_server.rs"]
#[allow(dead_code)] // its `main` is the example's
mod example;

#[tokio::test]
async fn the_example_serves_and_guards() {
    let seen = example::demo().await.expect("the demo runs");
    assert_eq!(
        seen,
        [
            ("allowed", 200),
            ("no token", 401),
            ("outside the token's endpoints", 403),
            ("exempt", 200),
        ]
    );
}
