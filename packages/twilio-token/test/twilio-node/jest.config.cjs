// Runs twilio-node's own spec/unit/jwt files (copied into ./spec by run.sh from a twilio-node
// checkout, never committed) against the package. Their imports of twilio-node's sources are
// mapped to the shims in ./shim, which give the package's classes.
//
// By default twilio's RequestClient (from node_modules, used by the two ValidationInterceptor
// tests) is also pointed at the layer's ValidationToken; JEST_INTERCEPTOR=twilio leaves it on
// twilio-node's own, in which case those two tests exercise twilio-node and not the layer.
const src = "^(?:\\.\\./)+src";
const mapper = {
  [`${src}$`]: "<rootDir>/shim/index.cjs",
  [`${src}/jwt/AccessToken$`]: "<rootDir>/shim/AccessToken.cjs",
  [`${src}/jwt/ClientCapability$`]: "<rootDir>/shim/ClientCapability.cjs",
  [`${src}/jwt/taskrouter/TaskRouterCapability$`]: "<rootDir>/shim/TaskRouterCapability.cjs",
  [`${src}/jwt/taskrouter/util$`]: "<rootDir>/shim/util.cjs",
  [`${src}/jwt/validation/ValidationToken$`]: "<rootDir>/shim/ValidationToken.cjs",
  [`${src}/base/RequestClient$`]: "<rootDir>/node_modules/twilio/lib/base/RequestClient.js",
};
if (process.env.JEST_INTERCEPTOR !== "twilio") {
  // What twilio/lib/base/RequestClient.js requires for its validation interceptor.
  mapper["^\\.\\./jwt/validation/ValidationToken$"] = "<rootDir>/shim/ValidationToken.cjs";
}

module.exports = {
  rootDir: __dirname,
  roots: ["<rootDir>/spec"],
  testMatch: ["**/*.spec.js"],
  testEnvironment: "node",
  moduleNameMapper: mapper,
};
