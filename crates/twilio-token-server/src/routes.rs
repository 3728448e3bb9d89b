//! A router that keeps the list of its routes, so that the OpenAPI document can be held to
//! them (the server's routes and the page's are added through it).

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::response::IntoResponse;

/// A router that keeps the list of its routes.
pub struct Routes<S> {
    /// The router.
    pub router: Router<S>,
    /// Its routes: method and path.
    pub list: Vec<(Method, &'static str)>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Routes {
            router: Router::new(),
            list: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// Adds `handler` for `method` on `path`.
    pub fn route<H: axum::handler::Handler<T, S>, T: 'static>(
        mut self,
        method: Method,
        path: &'static str,
        handler: H,
    ) -> Self {
        let filter = axum::routing::MethodFilter::try_from(method.clone())
            .expect("routes use standard methods");
        self.router = self.router.route(path, axum::routing::on(filter, handler));
        self.list.push((method, path));
        self
    }

    /// Adds `other`'s routes.
    pub fn merge(mut self, other: Routes<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.list.extend(other.list);
        self
    }

    /// Wraps every route added so far in `layer`.
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
        L::Service: tower::Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as tower::Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as tower::Service<Request>>::Error: Into<std::convert::Infallible> + 'static,
        <L::Service as tower::Service<Request>>::Future: Send + 'static,
    {
        self.router = self.router.layer(layer);
        self
    }
}
