//! The one list of methods the daemon serves. Adding a method: write its file, add one line.

use super::dispatcher::Router;
use super::version::Version;

/// The router of every method the daemon serves.
pub fn product_router() -> Router {
    Router::new().with::<Version>()
}

/// The wire names of every routed method, sorted.
pub fn method_names() -> Vec<&'static str> {
    product_router().method_names()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_is_listed_once() {
        // `product_router` panics on a duplicate name.
        let names = method_names();
        assert!(names.contains(&"version"));
    }
}
