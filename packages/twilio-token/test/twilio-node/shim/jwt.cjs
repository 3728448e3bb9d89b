// The package as `require('twilio-token')` gives it: one instance, shared by every shim.
module.exports = require("../../../dist/node.cjs").jwt;
