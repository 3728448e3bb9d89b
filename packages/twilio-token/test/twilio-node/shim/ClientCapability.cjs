module.exports = require("./jwt.cjs").ClientCapability;
