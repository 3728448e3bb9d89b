//! The `twilio-token` binary, run as a user would run it.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const KEY: &str = "SK0123456789abcdef0123456789abcdef";
const SECRET: &str = "3b9cfb2d8a7e41f0a1c5e6d7f8091a2b";
const AT: &str = "1700000000";

/// The binary in an empty working directory with no Twilio variables inherited.
fn bin(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("twilio-token").unwrap();
    cmd.current_dir(dir)
        .env_remove("TWILIO_ACCOUNT_SID")
        .env_remove("TWILIO_API_KEY_SID")
        .env_remove("TWILIO_API_KEY_SECRET");
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn credentials(cmd: &mut Command) -> &mut Command {
    cmd.env("TWILIO_ACCOUNT_SID", ACCOUNT)
        .env("TWILIO_API_KEY_SID", KEY)
        .env("TWILIO_API_KEY_SECRET", SECRET)
}

fn tutorial_token(dir: &Path) -> String {
    let r = run(credentials(&mut bin(dir)).args([
        "access",
        "--identity",
        "alice",
        "--video-room",
        "My Room",
        "--at",
        AT,
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout.trim().to_owned()
}

#[test]
fn mint_reproduces_a_golden_token_from_a_file_and_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let golden: Vec<Value> = serde_json::from_str(include_str!(
        "../../twilio-token/tests/fixtures/golden.json"
    ))
    .unwrap();
    let case = golden
        .iter()
        .find(|c| c["name"] == "access_all_six_grants")
        .unwrap();
    let spec = dir.path().join("spec.json");
    std::fs::write(&spec, case["spec"].to_string()).unwrap();
    let r = run(bin(dir.path()).args(["mint", "--spec", "spec.json"]));
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, case["token"].as_str().unwrap()),
        "{}",
        r.stderr
    );
    let r = run(bin(dir.path())
        .args(["mint", "--spec", "-"])
        .write_stdin(case["spec"].to_string()));
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, case["token"].as_str().unwrap())
    );
}

#[test]
fn mint_refuses_a_bad_spec_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(bin(dir.path()).args(["mint", "--spec", "-"]).write_stdin(r#"{"kind":"access","account_sid":"AC1","signing_key_sid":"SK1","secret":"s","grants":[{"video":{"rom":"x"}}]}"#));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("grants[0].video") && r.stderr.contains("rom"),
        "{}",
        r.stderr
    );
    let r = run(bin(dir.path()).args(["mint", "--spec", "missing.json"]));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("missing.json"));
    assert!(r.stdout.is_empty());
}

#[test]
fn access_mints_what_decode_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let token = tutorial_token(dir.path());
    let r = run(bin(dir.path()).args(["decode", &token, "--secret", SECRET, "--at", "1700000001"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        out["header"],
        serde_json::json!({"alg": "HS256", "cty": "twilio-fpa;v=1", "typ": "JWT"})
    );
    assert_eq!(
        out["payload"]["grants"],
        serde_json::json!({"video": {"room": "My Room"}, "identity": "alice"})
    );
    assert_eq!(out["payload"]["sub"], ACCOUNT);
    assert_eq!(out["payload"]["jti"], format!("{KEY}-{AT}"));
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn access_grant_flags_fill_every_grant() {
    let dir = tempfile::tempdir().unwrap();
    let sid = |p: &str| format!("{p}0123456789abcdef0123456789abcdef");
    let r = run(credentials(&mut bin(dir.path())).args([
        "access",
        "--identity",
        "bob",
        "--at",
        AT,
        "--ttl",
        "600",
        "--region",
        "ie1",
        "--video",
        "--chat-service-sid",
        &sid("IS"),
        "--chat-endpoint-id",
        "bob-web",
        "--voice-app-sid",
        &sid("AP"),
        "--voice-app-params",
        r#"{"mode":"x","n":1}"#,
        "--voice-incoming",
        "--push-credential-sid",
        &sid("CR"),
        "--sync-service-sid",
        &sid("IS"),
        "--workspace-sid",
        &sid("WS"),
        "--worker-sid",
        &sid("WK"),
        "--playback-grant",
        r#"{"playbackUrl":"https://x"}"#,
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(bin(dir.path()).args(["decode", r.stdout.trim()]));
    assert!(r.stderr.contains("NOT verified"));
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    let grants = &out["payload"]["grants"];
    let keys: Vec<&str> = grants
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "video",
            "chat",
            "voice",
            "data_sync",
            "task_router",
            "player",
            "identity"
        ]
    );
    assert_eq!(grants["voice"]["outgoing"]["params"]["mode"], "x");
    assert_eq!(grants["voice"]["incoming"]["allow"], true);
    assert_eq!(grants["chat"]["push_credential_sid"], sid("CR"));
    assert_eq!(out["header"]["twr"], "ie1");
    assert_eq!(out["payload"]["exp"], 1_700_000_600);
}

#[test]
fn access_reads_dotenv_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        format!("TWILIO_ACCOUNT_SID={ACCOUNT}\nTWILIO_API_KEY_SID={KEY}\nTWILIO_API_KEY_SECRET=\"{SECRET}\"\n"),
    )
    .unwrap();
    let from_env = run(bin(dir.path()).args([
        "access",
        "--identity",
        "alice",
        "--video-room",
        "My Room",
        "--at",
        AT,
    ]));
    assert_eq!(from_env.code, 0, "{}", from_env.stderr);
    assert_eq!(from_env.stdout.trim(), tutorial_token(dir.path()));
    let other = "AC00000000000000000000000000000000";
    let r = run(bin(dir.path()).args([
        "access",
        "--identity",
        "a",
        "--video",
        "--account-sid",
        other,
    ]));
    let r = run(bin(dir.path()).args(["decode", r.stdout.trim(), "--secret", SECRET]));
    assert!(r.stdout.contains(other), "{}", r.stdout);
}

#[test]
fn a_malformed_dotenv_is_named_without_its_contents() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "TWILIO_API_KEY_SECRET='hunter2-secret\n",
    )
    .unwrap();
    let r = run(bin(dir.path()).args(["access", "--identity", "a", "--video"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(".env"), "{}", r.stderr);
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
}

#[test]
fn access_names_what_is_missing_or_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(bin(dir.path()).args(["access", "--identity", "a", "--video"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("TWILIO_ACCOUNT_SID"), "{}", r.stderr);

    let r = run(credentials(&mut bin(dir.path())).args([
        "access",
        "--identity",
        "a",
        "--video",
        "--account-sid",
        "ACxxxxx",
    ]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--account-sid") && r.stderr.contains("34"),
        "{}",
        r.stderr
    );

    let r = run(credentials(&mut bin(dir.path())).args([
        "access",
        "--identity",
        "a",
        "--voice-app-sid",
        "PN0123456789abcdef0123456789abcdef",
    ]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--voice-app-sid") && r.stderr.contains("AP"),
        "{}",
        r.stderr
    );

    let r = run(credentials(&mut bin(dir.path())).args(["access", "--identity", "a"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no grant"), "{}", r.stderr);

    let r = run(credentials(&mut bin(dir.path())).args([
        "access",
        "--identity",
        "a",
        "--video",
        "--ttl",
        "86401",
    ]));
    assert_eq!(r.code, 2, "a lifetime Twilio refuses is a usage error");
    assert!(r.stderr.contains("20157"), "{}", r.stderr);
    assert!(!r.stderr.contains(SECRET));
}

/// `access --ttl TTL --nbf NBF --at AT` with the test credentials and a video grant.
fn access_lifetime(dir: &Path, ttl: &str, nbf: i64) -> Run {
    run(credentials(&mut bin(dir))
        .args(["access", "--identity", "alice", "--video"])
        .args(["--ttl", ttl, "--nbf", &nbf.to_string(), "--at", AT]))
}

#[test]
fn access_counts_a_backdated_nbf_in_the_lifetime_as_decode_explain_does() {
    let dir = tempfile::tempdir().unwrap();
    let at: i64 = AT.parse().unwrap();
    let r = access_lifetime(dir.path(), "86400", at - 300);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr.contains("86700 s") && r.stderr.contains("--nbf") && r.stderr.contains("--ttl"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stderr.matches("20157").count(),
        1,
        "said once: {}",
        r.stderr
    );

    // At the limit, counted from nbf: minted, and decode --explain finds nothing wrong.
    let r = access_lifetime(dir.path(), "86100", at - 300);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(bin(dir.path())
        .args(["decode", r.stdout.trim(), "--explain", "--secret", SECRET])
        .args(["--at", AT]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("problem"), "{}", r.stdout);
}

#[test]
fn access_warns_of_an_identity_twilio_refuses_and_still_mints() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(credentials(&mut bin(dir.path())).args([
        "access",
        "--identity",
        "a@b.c",
        "--voice-incoming",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.trim().starts_with("eyJ"), "{}", r.stdout);
    assert!(
        r.stderr.starts_with("warning: --identity \"a@b.c\"")
            && r.stderr.contains("a Twilio Voice identity holds only"),
        "{}",
        r.stderr
    );
    // Video takes the address: no warning.
    let r =
        run(credentials(&mut bin(dir.path())).args(["access", "--identity", "a@b.c", "--video"]));
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
}

#[test]
fn decode_explains_each_failure_with_its_twilio_code() {
    let dir = tempfile::tempdir().unwrap();
    let token = tutorial_token(dir.path());
    let cases: [(&[&str], &str); 5] = [
        (&["--secret", "wrong"], "20107"),
        (&["--secret", SECRET, "--at", "1700003600"], "20104"),
        (&["--secret", SECRET, "--at", "1699999999"], "20105"),
        (&["--secret", SECRET, "--alg", "RS256"], "20102"),
        (
            &["--secret", SECRET, "--at", "1700003600", "--leeway", "1"],
            "",
        ),
    ];
    for (args, code) in cases {
        let r = run(bin(dir.path()).arg("decode").arg(&token).args(args));
        if code.is_empty() {
            assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        } else {
            assert_eq!(r.code, 1, "{args:?}");
            assert!(r.stderr.contains(code), "{args:?}: {}", r.stderr);
            assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
            assert!(r.stdout.is_empty());
        }
    }
    let r = run(bin(dir.path()).args(["decode", "not-a-token", "--secret", SECRET]));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("20101"), "{}", r.stderr);
}

/// A correctly signed HS256 token with these claims, whatever they are.
fn hs256_token(claims: &str) -> String {
    signed_token(r#"{"alg":"HS256","typ":"JWT"}"#, claims, SECRET)
}

/// A correctly signed HS256 token with this header and these claims, signed with `secret`.
fn signed_token(header: &str, claims: &str, secret: &str) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let input = format!("{}.{}", b64.encode(header), b64.encode(claims));
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64.encode(mac.finalize().into_bytes()))
}

#[test]
fn decode_refuses_a_token_that_never_expires_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let token = hs256_token(&format!(r#"{{"iss":"{KEY}","sub":"{ACCOUNT}"}}"#));
    let r = run(bin(dir.path()).args(["decode", &token, "--secret", SECRET]));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("no exp"), "{}", r.stderr);
    assert!(r.stderr.contains("20104"), "{}", r.stderr);
    let r = run(bin(dir.path()).args(["decode", &token, "--secret", SECRET, "--allow-no-exp"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let printed: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(printed["payload"]["iss"], KEY);
}

#[test]
fn decode_reads_stdin_and_takes_the_allow_list_from_alg() {
    let dir = tempfile::tempdir().unwrap();
    let token = tutorial_token(dir.path());
    let decode = |args: &[&str], stdin: String| {
        run(bin(dir.path())
            .args(["decode", "-", "--secret", SECRET, "--at", "1700000001"])
            .args(args)
            .write_stdin(stdin))
    };
    assert_eq!(decode(&[], format!("{token}\n")).code, 0);
    assert_eq!(
        decode(&["--alg", "HS512", "--alg", "HS256"], token.clone()).code,
        0
    );
    let r = decode(&["--alg", "HS512"], token);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("HS256") && r.stderr.contains("not allowed"),
        "{}",
        r.stderr
    );
    let r = run(bin(dir.path()).args(["decode", "x", "--secret", SECRET, "--alg", "hs256"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn decode_verifies_rs256_with_a_public_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../twilio-token/tests/fixtures");
    let spec = serde_json::json!({"kind": "validation", "account_sid": ACCOUNT, "api_key_sid": KEY,
        "credential_sid": "CR0123456789abcdef0123456789abcdef",
        "private_key": std::fs::read_to_string(fixtures.join("rsa_pkcs1.pem")).unwrap(),
        "request": {"method": "GET", "path": "/"}});
    let token = run(bin(dir.path())
        .args(["mint", "--spec", "-"])
        .write_stdin(spec.to_string()));
    assert_eq!(token.code, 0, "{}", token.stderr);
    let public = fixtures.join("rsa_public.pem");
    let r = run(bin(dir.path())
        .args(["decode", token.stdout.trim(), "--public-key"])
        .arg(&public));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The same token claimed as HS256 with the PEM as secret is refused.
    let r = run(bin(dir.path()).args(["decode", token.stdout.trim(), "--secret", "x"]));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("RS256"), "{}", r.stderr);
}

#[test]
fn decode_explain_reads_like_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let token = tutorial_token(dir.path());
    let r = run(bin(dir.path()).args([
        "decode",
        &token,
        "--secret",
        SECRET,
        "--at",
        "1700000060",
        "--explain",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for needle in [
        "access token (HS256)",
        "identity   alice",
        "grant      video {\"room\":\"My Room\"}",
        "2023-11-14 23:13:20 UTC (in 59m 0s)",
        KEY,
        ACCOUNT,
    ] {
        assert!(
            r.stdout.contains(needle),
            "missing {needle:?} in\n{}",
            r.stdout
        );
    }
}

#[test]
fn usage_errors_exit_2_and_garbage_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(bin(dir.path()).arg("frobnicate")).code, 2);
    assert_eq!(run(bin(dir.path()).args(["decode"])).code, 2);
    assert_eq!(run(bin(dir.path()).args(["mint"])).code, 2);
    for garbage in [
        "",
        "....",
        "\u{0}",
        "eyJ.eyJ.eyJ",
        "a.b.c",
        &"A".repeat(100_000),
    ] {
        let r = run(bin(dir.path())
            .args(["decode", "-"])
            .write_stdin(garbage.to_owned()));
        assert_eq!(r.code, 1, "{garbage:?}: {}", r.stderr);
        let r = run(bin(dir.path())
            .args(["mint", "--spec", "-"])
            .write_stdin(garbage.to_owned()));
        assert_eq!(r.code, 1, "{garbage:?}: {}", r.stderr);
    }
}

#[test]
fn access_region_is_validated_and_written_in_lower_case() {
    let dir = tempfile::tempdir().unwrap();
    let mint = |region: &str| {
        run(credentials(&mut bin(dir.path())).args([
            "access",
            "--identity",
            "alice",
            "--video",
            "--region",
            region,
        ]))
    };
    let r = mint("IE1");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(bin(dir.path()).args(["decode", r.stdout.trim(), "--secret", SECRET]));
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(out["header"]["twr"], "ie1");
    for bad in ["eu1", "", "us1 "] {
        let r = mint(bad);
        assert_eq!(r.code, 2, "{bad:?}: {}", r.stdout);
        assert!(
            r.stderr.contains("--region") && r.stderr.contains("us1, ie1, au1"),
            "{bad:?}: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty());
    }
}

const ACCESS_HEADER: &str = r#"{"alg":"HS256","cty":"twilio-fpa;v=1","typ":"JWT"}"#;

/// `decode --explain` of an access token with this header and these claims, at `AT`.
fn explain_access(dir: &Path, header: &str, claims: Value) -> String {
    let token = signed_token(header, &claims.to_string(), SECRET);
    let r = run(bin(dir)
        .args(["decode", &token, "--explain", "--allow-no-exp"])
        .args(["--secret", SECRET, "--at", AT]));
    // Exit 3 exactly when Twilio would refuse the token; warnings and notes alone exit 0.
    let refused = r.stdout.lines().any(|l| l.starts_with("problem"));
    assert_eq!(
        r.code,
        if refused { 3 } else { 0 },
        "{}{}",
        r.stdout,
        r.stderr
    );
    if refused {
        assert!(
            r.stderr.contains("Twilio would refuse this token"),
            "{}",
            r.stderr
        );
    }
    r.stdout
}

#[test]
fn decode_verifies_a_25_hour_token_and_explain_exits_3_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut claims = sound_claims();
    claims["exp"] = (1_700_000_000 + 25 * 3600).into();
    let token = signed_token(ACCESS_HEADER, &claims.to_string(), SECRET);
    let decode = |explain: bool| {
        let mut cmd = bin(dir.path());
        cmd.args(["decode", &token, "--secret", SECRET, "--at", AT]);
        if explain {
            cmd.arg("--explain");
        }
        run(&mut cmd)
    };
    // The signature is right and the token is within exp: verified, exit 0.
    let r = decode(false);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("\"exp\":1700090000"), "{}", r.stdout);
    // Twilio would refuse it: --explain says so, and exits 3.
    let r = decode(true);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("problem") && l.contains("20157"))
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

/// Claims of a sound access token, valid for an hour from `AT`.
fn sound_claims() -> Value {
    serde_json::json!({"jti": format!("{KEY}-{AT}"), "grants": {"identity": "alice", "video": {}},
        "iss": KEY, "exp": 1_700_003_600, "nbf": 1_700_000_000, "sub": ACCOUNT})
}

fn problems(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.starts_with("problem") || l.starts_with("warning"))
        .collect()
}

#[test]
fn decode_explain_finds_nothing_wrong_with_a_sound_token_and_names_its_region() {
    let dir = tempfile::tempdir().unwrap();
    let out = explain_access(dir.path(), ACCESS_HEADER, sound_claims());
    assert_eq!(problems(&out), Vec::<&str>::new(), "{out}");
    assert!(out.contains("region     us1 (no twr header)"), "{out}");
    assert!(out.contains("note       no twr header"), "{out}");

    let ie1 = r#"{"alg":"HS256","cty":"twilio-fpa;v=1","twr":"ie1","typ":"JWT"}"#;
    let out = explain_access(dir.path(), ie1, sound_claims());
    assert!(out.contains("region     ie1\n"), "{out}");
    assert!(!out.contains("note"), "{out}");

    let eu1 = r#"{"alg":"HS256","cty":"twilio-fpa;v=1","twr":"eu1","typ":"JWT"}"#;
    let out = explain_access(dir.path(), eu1, sound_claims());
    assert!(
        out.contains("region     \"eu1\" (not a Twilio Region)"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("note") && l.contains("us1, ie1, au1")),
        "{out}"
    );
    assert_eq!(problems(&out), Vec::<&str>::new(), "only a note: {out}");
}

#[test]
fn decode_explain_names_20103_for_sids_and_hints_at_an_auth_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut claims = sound_claims();
    claims["iss"] = ACCOUNT.into();
    let out = explain_access(dir.path(), ACCESS_HEADER, claims);
    let found = problems(&out);
    assert_eq!(found.len(), 1, "{out}");
    assert!(
        found[0].contains("20103") && found[0].contains("iss") && found[0].contains(ACCOUNT),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("hint") && l.contains("Auth Token")),
        "{out}"
    );

    let mut claims = sound_claims();
    claims["sub"] = "ACxxxx".into();
    claims["iss"] = "my-key".into();
    let out = explain_access(dir.path(), ACCESS_HEADER, claims);
    let found = problems(&out);
    assert_eq!(found.len(), 2, "{out}");
    assert!(found.iter().all(|l| l.contains("20103")), "{out}");
    assert!(found[1].contains("sub \"ACxxxx\""), "{out}");
    assert!(
        !out.contains("hint"),
        "an SK-less iss that is no AC SID: {out}"
    );
}

#[test]
fn decode_explain_names_20106_for_missing_grants_and_identities() {
    let dir = tempfile::tempdir().unwrap();
    let mut claims = sound_claims();
    claims["grants"] = serde_json::json!({"identity": "alice"});
    let out = explain_access(dir.path(), ACCESS_HEADER, claims);
    assert!(
        matches!(&problems(&out)[..], [p] if p.contains("20106") && p.contains("grants nothing")),
        "{out}"
    );

    let mut claims = sound_claims();
    claims["grants"] = serde_json::json!({"voice": {}, "task_router": {}});
    let out = explain_access(dir.path(), ACCESS_HEADER, claims);
    assert!(
        matches!(&problems(&out)[..], [p] if p.contains("20106") && p.contains("voice grant needs an identity")),
        "{out}"
    );

    let mut claims = sound_claims();
    claims["grants"] =
        serde_json::json!({"identity": "alice@example.com", "voice": {}, "video": {}});
    let out = explain_access(dir.path(), ACCESS_HEADER, claims);
    assert!(
        matches!(&problems(&out)[..], [p] if p.contains("20106") && p.contains("a Twilio Voice identity holds only")),
        "video takes the address, voice does not: {out}"
    );
    // This project's own rules for the names it gives out (no invisible characters, ...) are
    // not Twilio's: a token whose identity breaks only them is one Twilio accepts.
    let mut claims = sound_claims();
    claims["grants"] = serde_json::json!({"identity": "ali\u{200B}ce", "video": {}});
    let out = explain_access(dir.path(), ACCESS_HEADER, claims);
    assert!(problems(&out).is_empty(), "{out}");
}

#[test]
fn decode_explain_names_20157_and_warns_of_a_short_life() {
    let dir = tempfile::tempdir().unwrap();
    let mut claims = sound_claims();
    claims["exp"] = (1_700_000_000 + 86_401).into();
    let out = explain_access(dir.path(), ACCESS_HEADER, claims);
    assert!(
        matches!(&problems(&out)[..], [p] if p.starts_with("problem") && p.contains("20157") && p.contains("exp - nbf")),
        "{out}"
    );

    // Without nbf the life is counted from iat; exactly 24 hours is allowed.
    let mut claims = sound_claims();
    claims.as_object_mut().unwrap().remove("nbf");
    claims["iat"] = 1_700_000_000.into();
    claims["exp"] = (1_700_000_000 + 86_400).into();
    let out = explain_access(dir.path(), ACCESS_HEADER, claims);
    assert_eq!(problems(&out), Vec::<&str>::new(), "{out}");

    let mut claims = sound_claims();
    claims["exp"] = 1_700_000_179.into();
    let out = explain_access(dir.path(), ACCESS_HEADER, claims);
    assert!(
        matches!(&problems(&out)[..], [p] if p.starts_with("warning") && p.contains("tokenWillExpire") && p.contains("2m 59s")),
        "{out}"
    );
    let mut claims = sound_claims();
    claims["exp"] = 1_700_000_180.into();
    assert_eq!(
        problems(&explain_access(dir.path(), ACCESS_HEADER, claims)),
        Vec::<&str>::new()
    );
}

#[test]
fn decode_explain_checks_only_access_tokens() {
    let dir = tempfile::tempdir().unwrap();
    // A capability-style token: iss is the account, no grants; none of that is a problem.
    let token = hs256_token(&format!(
        r#"{{"scope":"scope:client:incoming?clientName=a","iss":"{ACCOUNT}","exp":1700000100}}"#
    ));
    let r = run(bin(dir.path()).args([
        "decode",
        &token,
        "--explain",
        "--secret",
        SECRET,
        "--at",
        AT,
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("client capability token"), "{}", r.stdout);
    for absent in ["problem", "warning", "note", "region"] {
        assert!(!r.stdout.contains(absent), "{absent}: {}", r.stdout);
    }
}

#[test]
fn decode_api_keys_picks_the_key_the_token_names() {
    let dir = tempfile::tempdir().unwrap();
    let (key_a, key_b) = (
        "SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    );
    let (secret_a, secret_b) = ("secret-of-key-a", "secret-of-key-b");
    let keys = serde_json::json!({"signing_key": key_b, "keys": [
        {"sid": key_a, "secret": secret_a}, {"sid": key_b, "secret": secret_b}]});
    std::fs::write(dir.path().join("keys.json"), keys.to_string()).unwrap();
    let token = |sid: &str, secret: &str| {
        let r = run(bin(dir.path()).args([
            "access",
            "--identity",
            "alice",
            "--video",
            "--account-sid",
            ACCOUNT,
            "--api-key-sid",
            sid,
            "--api-key-secret",
            secret,
        ]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout.trim().to_owned()
    };
    let decode =
        |token: &str| run(bin(dir.path()).args(["decode", token, "--api-keys", "keys.json"]));
    for (sid, secret) in [(key_a, secret_a), (key_b, secret_b)] {
        let r = decode(&token(sid, secret));
        assert_eq!(r.code, 0, "{sid}: {}", r.stderr);
        let out: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(out["payload"]["iss"], sid);
        assert!(r.stderr.is_empty(), "{}", r.stderr);
    }
    // Key A's SID with key B's secret: the key iss names must verify it, not any key.
    let r = decode(&token(key_a, secret_b));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("20107"), "{}", r.stderr);

    let stranger = "SKcccccccccccccccccccccccccccccccc";
    let r = decode(&token(stranger, secret_a));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("no key in keys.json has the token's iss") && r.stderr.contains(stranger),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
    assert!(!r.stderr.contains(secret_a) && !r.stderr.contains(secret_b));

    let r = run(bin(dir.path()).args([
        "decode",
        &token(key_a, secret_a),
        "--api-keys",
        "keys.json",
        "--secret",
        secret_a,
    ]));
    assert_eq!(r.code, 2, "--api-keys and --secret conflict: {}", r.stderr);
}

#[test]
fn decode_api_keys_refuses_a_bad_file_without_quoting_it() {
    let dir = tempfile::tempdir().unwrap();
    let token = tutorial_token(dir.path());
    let (a, b) = (
        "SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    );
    let file =
        |signing: &str, keys: &str| format!(r#"{{"signing_key": "{signing}", "keys": [{keys}]}}"#);
    for (text, needle) in [
        (
            r#"{"keys": [{"sid": "SK1", "secret": 5}], "hunter2": 1}"#.to_owned(),
            "line 1",
        ),
        (
            file(a, r#"{"sid": "SK1", "secert": "hunter2"}"#),
            "unknown field \"secert\": expected",
        ),
        (
            file(a, r#"{"sid": "SK1", "hunter2": "x"}"#),
            "line 1 column",
        ),
        (
            file(a, r#"{"sid": "SKshort", "secret": "hunter2"}"#),
            "not an API key SID",
        ),
        (
            file(a, &format!(r#"{{"sid": "{a}", "secret": ""}}"#)),
            "empty secret",
        ),
        (
            file(
                a,
                &format!(
                    r#"{{"sid": "{a}", "secret": "hunter2"}}, {{"sid": "{a}", "secret": "x"}}"#
                ),
            ),
            "listed twice",
        ),
        (
            file(b, &format!(r#"{{"sid": "{a}", "secret": "hunter2"}}"#)),
            "signing_key",
        ),
        ("hunter2".to_owned(), "not JSON"),
    ] {
        std::fs::write(dir.path().join("keys.json"), &text).unwrap();
        let r = run(bin(dir.path()).args(["decode", &token, "--api-keys", "keys.json"]));
        assert_eq!(r.code, 2, "configuration, as for serve: {text}");
        assert!(
            r.stderr.contains(needle) && r.stderr.contains("keys.json"),
            "{text}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("hunter2"), "{text}: {}", r.stderr);
    }
    let r = run(bin(dir.path()).args(["decode", &token, "--api-keys", "missing.json"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("missing.json"), "{}", r.stderr);
}

#[test]
fn decode_explain_labels_legacy_grants() {
    let dir = tempfile::tempdir().unwrap();
    let mut claims = sound_claims();
    claims["grants"] = serde_json::json!({"ip_messaging": {"service_sid": "IS1"},
        "rtc": {"configuration_profile_sid": "VS1"}, "identity": "a/b"});
    let out = explain_access(dir.path(), ACCESS_HEADER, claims);
    assert!(
        out.contains(
            "grant      ip_messaging {\"service_sid\":\"IS1\"} (legacy name of chat: read, never minted)"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "grant      rtc {\"configuration_profile_sid\":\"VS1\"} (legacy name of video"
        ),
        "{out}"
    );
    // The old Chat grant keeps Chat's rule ('/' is reserved); Video takes "a/b".
    assert!(
        matches!(&problems(&out)[..], [p] if p.contains("20106") && p.contains("Conversations/Chat")),
        "{out}"
    );
}

#[test]
fn mint_a_ps256_validation_token_that_decode_verifies_as_ps256_only() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../twilio-token/tests/fixtures");
    let spec = serde_json::json!({"kind": "validation", "account_sid": ACCOUNT, "api_key_sid": KEY,
        "credential_sid": "CR0123456789abcdef0123456789abcdef", "algorithm": "PS256",
        "private_key": std::fs::read_to_string(fixtures.join("rsa_pkcs8.pem")).unwrap(),
        "request": {"method": "GET", "path": "/"}});
    let token = run(bin(dir.path())
        .args(["mint", "--spec", "-"])
        .write_stdin(spec.to_string()));
    assert_eq!(token.code, 0, "{}", token.stderr);
    let public = fixtures.join("rsa_public.pem");
    let decode = |alg: &[&str]| {
        run(bin(dir.path())
            .args(["decode", token.stdout.trim(), "--public-key"])
            .arg(&public)
            .args(alg))
    };
    let r = decode(&["--alg", "PS256"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(out["header"]["alg"], "PS256");
    assert_eq!(out["payload"]["iss"], KEY);
    let r = decode(&[]);
    assert_eq!(r.code, 1, "RS256 is the default, and PS256 is not RS256");
    assert!(r.stderr.contains("PS256"), "{}", r.stderr);

    let mut bad = spec;
    bad["algorithm"] = "RS384".into();
    let r = run(bin(dir.path())
        .args(["mint", "--spec", "-"])
        .write_stdin(bad.to_string()));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("RS256") && r.stderr.contains("PS256"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("PRIVATE KEY"), "{}", r.stderr);
}

#[test]
fn mint_a_jwt_spec_as_twilio_python_does_and_decode_it_with_its_algorithm() {
    let dir = tempfile::tempdir().unwrap();
    let golden: Vec<Value> = serde_json::from_str(include_str!(
        "../../twilio-token/tests/fixtures/golden.json"
    ))
    .unwrap();
    let case = golden.iter().find(|c| c["name"] == "jwt_hs512").unwrap();
    let r = run(bin(dir.path())
        .args(["mint", "--spec", "-"])
        .write_stdin(case["spec"].to_string()));
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, case["token"].as_str().unwrap()),
        "{}",
        r.stderr
    );
    let secret = case["spec"]["secret"].as_str().unwrap();
    let decode = |alg: &str| {
        run(bin(dir.path()).args([
            "decode",
            r.stdout.trim(),
            "--secret",
            secret,
            "--alg",
            alg,
            "--at",
            AT,
        ]))
    };
    let ok = decode("HS512");
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let out: Value = serde_json::from_str(&ok.stdout).unwrap();
    assert_eq!(out["header"]["alg"], "HS512");
    assert_eq!(out["payload"]["scope"], "x");
    assert_eq!(decode("HS256").code, 1);
}
