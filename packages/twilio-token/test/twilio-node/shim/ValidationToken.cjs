module.exports = require("./jwt.cjs").ValidationToken;
