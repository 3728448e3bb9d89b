// twilio-node's specs are ES modules; so is the layer (../src/api.js). Jest runs CommonJS.
module.exports = {
  presets: [["@babel/preset-env", { targets: { node: "current" } }]],
};
