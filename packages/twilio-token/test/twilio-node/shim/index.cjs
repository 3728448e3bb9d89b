// `import twilio from "../../../src"`: twilio-node's index, of which the specs read `.jwt`.
module.exports = { jwt: require("./jwt.cjs") };
