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
