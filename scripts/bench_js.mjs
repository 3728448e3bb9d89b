// The JavaScript package beside twilio-node 6 in one run (Node, this machine): cold start (a
// fresh process loads the package and mints one token), mint (the tutorial's token), verify
// (our AccessToken.fromJwt beside jsonwebtoken.verify, which twilio-node cannot do itself), and
// a validation token. Needs `npm run build` in packages/twilio-token and scripts/node-oracle
// installed.
//
//   node scripts/bench_js.mjs
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import { createRequire } from "node:module";

const root = new URL("..", import.meta.url).pathname;
const require = createRequire(`${root}scripts/node-oracle/`);
const oracle = (name) => require.resolve(name);
const ours = `${root}packages/twilio-token/dist/node.cjs`;
const AC = "AC" + "a".repeat(32), SK = "SK" + "b".repeat(32);
// Loads the package and mints one token in a fresh process; prints the milliseconds that took
// (from before the require to the token, Node's own start-up left out). The time is read
// before `process.stdout`, whose first use sets up the stream.
const mintCode = (module) => `const started = performance.now();
const { jwt } = require(${JSON.stringify(module)});
const t = new jwt.AccessToken("${AC}", "${SK}", "s3cret", { identity: "user" });
t.addGrant(new jwt.AccessToken.VideoGrant({ room: "My Room" })); t.toJwt();
const took = performance.now() - started;
process.stdout.write(String(took));`;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
// The medians over fresh processes of each module (null: a bare `node -e`): of the whole
// process (wall), and of loading and minting inside it. The modules take turns, so that a
// machine that slows down for a while slows each alike.
function coldStarts(modules, runs = 15) {
  const times = modules.map(() => ({ wall: [], inside: [] }));
  for (let i = 0; i < runs; i++) {
    modules.forEach((module, m) => {
      const started = process.hrtime.bigint();
      const out = execFileSync(process.execPath, ["-e", module ? mintCode(module) : "0"], { encoding: "utf8" });
      times[m].wall.push(Number(process.hrtime.bigint() - started) / 1e6);
      times[m].inside.push(Number(out || 0));
    });
  }
  return times.map(({ wall, inside }) => ({ wall: median(wall), inside: median(inside) }));
}
function perCall(f, n) {
  for (let i = 0; i < Math.min(n, 2000); i++) f(); // warm-up
  const rounds = [];
  for (let r = 0; r < 5; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f();
    rounds.push(Number(process.hrtime.bigint() - started) / 1e3 / n);
  }
  return median(rounds);
}

const node = execFileSync(process.execPath, ["-e", "process.stdout.write(process.version)"], { encoding: "utf8" });
const [baseline, coldTwilio, coldOurs] = coldStarts([null, oracle("twilio"), ours]);

const twilio = require("twilio").jwt;
const jsonwebtoken = require("jsonwebtoken");
const { jwt } = createRequire(import.meta.url)(ours);
const mintWith = (api) => () => {
  const t = new api.AccessToken(AC, SK, "s3cret", { identity: "user" });
  t.addGrant(new api.AccessToken.VideoGrant({ room: "My Room" }));
  return t.toJwt();
};
const mintTwilio = perCall(mintWith(twilio), 500);
const mintOurs = perCall(mintWith(jwt), 20000);
const token = mintWith(jwt)();
const verifyTwilio = perCall(() => jsonwebtoken.verify(token, "s3cret", { algorithms: ["HS256"] }), 2000);
const verifyOurs = perCall(() => jwt.AccessToken.fromJwt(token, "s3cret"), 20000);
// A validation token of one request, signed with a 2048-bit RSA key.
const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const request = { url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json", method: "POST", headers: { Authorization: "Basic abc" }, data: "To=%2B15551234567" };
const validateWith = (api) => {
  const t = new api.ValidationToken({ accountSid: AC, credentialSid: "CR" + "c".repeat(32), signingKey: SK, privateKey });
  return () => t.fromHttpRequest(request);
};
const validationTwilio = perCall(validateWith(twilio), 200);
const validationOurs = perCall(validateWith(jwt), 200);

const row = (what, theirs, ours, unit) =>
  `| ${what} | ${theirs.toFixed(unit === "ms" ? 1 : 2)} ${unit} | ${ours.toFixed(unit === "ms" ? 1 : 2)} ${unit} | ${(theirs / ours).toFixed(1)}× |`;
console.log(`Node ${node}; a bare \`node -e\` takes ${baseline.wall.toFixed(1)} ms here.\n`);
console.log("| | twilio-node 6 | twilio-token | ratio |\n| --- | --- | --- | --- |");
console.log(row("cold start: load the package and mint one token, in a fresh process", coldTwilio.inside, coldOurs.inside, "ms"));
console.log(row("cold start: the whole fresh process, Node's start-up included", coldTwilio.wall, coldOurs.wall, "ms"));
console.log(row("mint: `toJwt()` of the tutorial's token", mintTwilio, mintOurs, "µs"));
console.log(row("verify: `jsonwebtoken.verify` / `AccessToken.fromJwt`", verifyTwilio, verifyOurs, "µs"));
console.log(row("validation token: `fromHttpRequest` (RS256, 2048-bit key)", validationTwilio, validationOurs, "µs"));
