//! Every golden token that twilio-python minted (see `fixtures/golden.py`) is minted again here
//! from the same spec and must be byte-identical.

use serde_json::Value;
use twilio_token::dangerous::decode_unverified;

#[test]
fn every_golden_token_is_byte_identical() {
    let fixtures: Vec<Value> =
        serde_json::from_str(include_str!("fixtures/golden.json")).expect("golden.json parses");
    assert!(
        fixtures.len() >= 100,
        "the golden set shrank to {}",
        fixtures.len()
    );
    let mut failures = Vec::new();
    for case in &fixtures {
        let name = case["name"].as_str().unwrap();
        let expected = case["token"].as_str().unwrap();
        match twilio_token::spec::mint_value(case["spec"].clone()) {
            Ok(ours) if ours == expected => {}
            Ok(ours) => {
                let show = |t: &str| {
                    let d = decode_unverified(t).unwrap();
                    format!("{}\n    {}", d.header.json(), Value::Object(d.claims))
                };
                failures.push(format!(
                    "{name}:\n  python: {}\n  ours:   {}",
                    show(expected),
                    show(&ours)
                ));
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        fixtures.len(),
        failures.join("\n")
    );
}

/// Every golden access token reads back as typed claims from which the same token is minted
/// again, byte for byte: nothing the reference writes is lost or changed by reading it.
#[test]
fn every_golden_access_token_reads_back_to_the_same_token() {
    use twilio_token::{AccessToken, DecodingKey, Nbf, Validation, access_token};
    let fixtures: Vec<Value> =
        serde_json::from_str(include_str!("fixtures/golden.json")).expect("golden.json parses");
    let mut read = 0;
    for case in fixtures.iter().filter(|c| c["spec"]["kind"] == "access") {
        let name = case["name"].as_str().unwrap();
        let token = case["token"].as_str().unwrap();
        let secret = case["spec"]["secret"].as_str().unwrap();
        let validation = Validation::default()
            .validate_exp(false)
            .validate_nbf(false);
        let data = access_token::decode(
            token,
            &DecodingKey::from_secret(secret.as_bytes()),
            &validation,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let claims = data.claims;
        let (_, at) = claims.jti.rsplit_once('-').unwrap();
        let at: i64 = at.parse().unwrap();
        let mut again = AccessToken::new(claims.sub.as_str(), claims.iss.as_str(), secret)
            .valid_until(claims.exp)
            .nbf(claims.nbf.map_or(Nbf::Omit, Nbf::At));
        if let Some(identity) = &claims.identity {
            again = again.identity(identity.as_str());
        }
        if let Some(region) = &data.header.twr {
            again = again.region(region.as_ref());
        }
        for grant in claims.grants {
            again.add_grant(grant);
        }
        assert_eq!(again.to_jwt_at(at).unwrap(), token, "{name}");
        read += 1;
    }
    assert!(read >= 60, "only {read} golden access tokens");
}

/// Every golden token that twilio-node 6 minted (`scripts/crosscheck_node.js --golden`) is
/// minted again in the Node dialect from the same spec and must be byte-identical.
#[test]
fn every_node_golden_token_is_byte_identical() {
    let fixtures: Vec<Value> = serde_json::from_str(include_str!("fixtures/node_golden.json"))
        .expect("node_golden.json parses");
    assert!(
        fixtures.len() >= 30,
        "the golden set shrank to {}",
        fixtures.len()
    );
    let differing: Vec<String> = fixtures
        .iter()
        .filter_map(|case| {
            let expected = case["token"].as_str().unwrap();
            match twilio_token::spec::mint_value(case["spec"].clone()) {
                Ok(ours) if ours == expected => None,
                Ok(ours) => Some(format!(
                    "{}\n  node: {expected}\n  ours: {ours}",
                    case["spec"]
                )),
                Err(e) => Some(format!("{}: {e}", case["spec"])),
            }
        })
        .collect();
    assert!(
        differing.is_empty(),
        "{} differ:\n{}",
        differing.len(),
        differing.join("\n")
    );
}
