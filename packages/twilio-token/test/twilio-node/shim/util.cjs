module.exports = require("./jwt.cjs").taskrouter.util;
