module.exports = require("./jwt.cjs").AccessToken;
