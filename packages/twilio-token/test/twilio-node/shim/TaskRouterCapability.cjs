module.exports = require("./jwt.cjs").taskrouter.TaskRouterCapability;
