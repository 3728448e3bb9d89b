//! `spec::mint`: the JSON front door to every token type, and its errors.

use twilio_token::{
    Algorithm, Claims, DecodingKey, ErrorKind, Validation, dangerous, decode, spec,
};

const AT: i64 = 1_700_000_000;

fn claims(token: &str) -> serde_json::Map<String, serde_json::Value> {
    dangerous::decode_unverified(token).unwrap().claims
}

fn spec_error(spec: &str) -> String {
    let e = spec::mint(spec).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::InvalidSpec(_)
                | ErrorKind::InvalidSid { .. }
                | ErrorKind::InvalidKey(_)
                | ErrorKind::Unsupported(_)
        ),
        "{e:?}"
    );
    e.to_string()
}

#[test]
fn client_capabilities_follow_spec_key_order_wherever_kind_stands() {
    let token = spec::mint(
        r#"{"events": {}, "account_sid": "AC1", "kind": "client", "auth_token": "t",
        "outgoing": {"application_sid": "AP1"}, "incoming": "alice", "at": 1700000000}"#,
    )
    .unwrap();
    let scope = claims(&token)["scope"].as_str().unwrap().to_owned();
    let order: Vec<&str> = scope
        .split(' ')
        .map(|s| s.split('?').next().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "scope:stream:subscribe",
            "scope:client:outgoing",
            "scope:client:incoming"
        ]
    );
    assert!(scope.contains("appSid=AP1&clientName=alice"));
}

#[test]
fn nbf_absent_null_and_set() {
    let base = r#""kind":"access","account_sid":"AC1","signing_key_sid":"SK1","secret":"s","at":1700000000"#;
    assert_eq!(
        claims(&spec::mint(&format!("{{{base}}}")).unwrap())["nbf"],
        AT
    );
    assert!(!claims(&spec::mint(&format!("{{{base},\"nbf\":null}}")).unwrap()).contains_key("nbf"));
    assert_eq!(
        claims(&spec::mint(&format!("{{{base},\"nbf\":5}}")).unwrap())["nbf"],
        5
    );
}

#[test]
fn minted_tokens_verify() {
    let token = spec::mint(r#"{"kind":"worker","account_sid":"AC1","auth_token":"tok","workspace_sid":"WS1","channel":"WK1","at":1700000000,"allow":{"update_activities":true}}"#).unwrap();
    let data = decode::<Claims>(
        &token,
        &DecodingKey::from_secret(b"tok"),
        &Validation::default().at(AT),
    )
    .unwrap();
    assert_eq!(data.claims["worker_sid"], "WK1");
    let posts = data.claims["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["method"] == "POST")
        .count();
    assert_eq!(posts, 2, "web socket POST and update_activities");

    let pem = include_str!("fixtures/rsa_pkcs8.pem");
    let spec = serde_json::json!({"kind": "validation", "account_sid": "AC1", "api_key_sid": "SK1",
        "credential_sid": "CR1", "private_key": pem, "at": AT,
        "request": {"method": "GET", "path": "/", "headers": {"Host": "api.twilio.com"}, "signed_headers": ["host"]}});
    let token = spec::mint_value(spec).unwrap();
    let key = DecodingKey::from_rsa_pem(include_bytes!("fixtures/rsa_public.pem")).unwrap();
    let data = decode::<Claims>(
        &token,
        &key,
        &Validation::default().algorithms(&[Algorithm::RS256]).at(AT),
    )
    .unwrap();
    assert_eq!(data.header.kid.as_deref(), Some("CR1"));
    assert_eq!(data.header.cty.as_deref(), Some("twilio-pkrv;v=1"));
    assert_eq!(data.claims["hrh"], "host");
    assert_eq!(data.claims["exp"], AT + 300);
}

#[test]
fn errors_name_the_problem() {
    assert!(spec_error("[]").contains("JSON object"));
    assert!(spec_error("{}").contains("kind"));
    assert!(spec_error(r#"{"kind":"acess"}"#).contains("unknown kind"));
    assert!(spec_error(r#"{"kind":"access","account_sid":"AC1"}"#).contains("missing field"));
    assert!(spec_error(r#"{"kind":"access","account_sid":"AC1","signing_key_sid":"SK1","secret":"s","grants":[{"vidoe":{}}]}"#).contains("vidoe"));
    assert!(
        spec_error(
            r#"{"kind":"access","account_sid":"AC1","signing_key_sid":"SK1","secret":"s","ttl":-1}"#
        )
        .contains("ttl: invalid")
    );
    assert!(
        spec_error(r#"{"kind":"client","account_sid":"AC1","auth_token":"t","valid_until":1}"#)
            .contains("valid_until")
    );
    assert!(
        spec_error(
            r#"{"kind":"worker","account_sid":"AC1","auth_token":"t","workspace_sid":"WS1"}"#
        )
        .contains("channel")
    );
    assert!(spec_error(r#"{"kind":"worker","account_sid":"AC1","auth_token":"t","workspace_sid":"WS1","channel":"WQ1"}"#).contains("channel"));
    assert!(spec_error(r#"{"kind":"taskqueue","account_sid":"XX1","auth_token":"t","workspace_sid":"WS1","channel":"WQ1"}"#).contains("account_sid"));
    assert!(spec_error(r#"{"kind":"worker","account_sid":"AC1","auth_token":"t","workspace_sid":"WS1","channel":"WK1","allow":{"fly":true}}"#).contains("fly"));
    assert!(spec_error(r#"{"kind":"client","account_sid":"AC1","auth_token":"t","outgoing":{"application_sid":"AP1","params":{"a":[[1]]}}}"#).contains("parameter"));
    assert!(spec_error(r#"{"kind":"validation","account_sid":"AC1","api_key_sid":"SK1","credential_sid":"CR1","private_key":"nope","request":{"method":"GET","path":"/"}}"#).contains("PEM"));
    let ttl = spec::mint(
        r#"{"kind":"access","account_sid":"AC1","signing_key_sid":"SK1","secret":"s","ttl":90000}"#,
    )
    .unwrap_err();
    assert_eq!(ttl.twilio_code(), Some(20157));
}

#[test]
fn a_secret_in_the_wrong_place_is_not_echoed() {
    for spec in [
        r#"{"kind":"access","account_sid":"AC1","signing_key_sid":"SK1","secret":"s","ttl":"hunter2-secret"}"#,
        r#"{"kind":"access","account_sid":"AC1","signing_key_sid":"SK1","secret":"s","nbf":"hunter2-secret"}"#,
        r#"{"kind":"access","account_sid":"AC1","signing_key_sid":"SK1","secret":"s","grants":[{"voice":{"incoming_allow":"hunter2-secret"}}]}"#,
        r#"{"kind":"access","account_sid":"AC1","signing_key_sid":"SK1","secret":["hunter2-secret"]}"#,
        r#"{"kind":"hunter2-secret-and-more-text-to-pass-forty-characters-long"}"#,
    ] {
        let message = spec::mint(spec).unwrap_err().to_string();
        assert!(!message.contains("hunter2-secret"), "{message}");
    }
}

#[test]
fn legacy_grant_names_are_never_minted() {
    for grant in [
        r#"{"ip_messaging": {"service_sid": "IS1"}}"#,
        r#"{"rtc": {}}"#,
    ] {
        let e = spec_error(&format!(
            r#"{{"kind":"access","account_sid":"AC1","signing_key_sid":"SK1","secret":"s","grants":[{grant}]}}"#
        ));
        assert!(
            e.contains("grants[0]") && e.contains("unknown variant"),
            "{e}"
        );
    }
}

#[test]
fn a_ps256_validation_token_differs_from_rs256_only_in_alg_and_signature() {
    let pem = include_str!("fixtures/rsa_pkcs1.pem");
    let spec = |algorithm: Option<&str>| {
        let mut spec = serde_json::json!({"kind": "validation", "account_sid": "AC1",
            "api_key_sid": "SK1", "credential_sid": "CR1", "private_key": pem, "at": AT,
            "request": {"method": "POST", "path": "/x", "body": "a=1"}});
        if let Some(alg) = algorithm {
            spec["algorithm"] = alg.into();
        }
        spec::mint_value(spec)
    };
    let ps256 = spec(Some("PS256")).unwrap();
    let rs256 = spec(None).unwrap();
    assert_eq!(spec(Some("RS256")).unwrap(), rs256, "RS256 is the default");
    assert_eq!(
        ps256.split('.').nth(1),
        rs256.split('.').nth(1),
        "same claims"
    );

    let key = DecodingKey::from_public_pem(include_bytes!("fixtures/rsa_public.pem")).unwrap();
    let at = Validation::default().at(AT);
    let data = decode::<Claims>(&ps256, &key, &at.clone().algorithms(&[Algorithm::PS256])).unwrap();
    assert_eq!(data.header.alg, Algorithm::PS256);
    assert_eq!(
        data.header.json(),
        r#"{"alg":"PS256","cty":"twilio-pkrv;v=1","kid":"CR1","typ":"JWT"}"#
    );
    assert_eq!(data.claims["hrh"], "");
    let e =
        decode::<Claims>(&ps256, &key, &at.clone().algorithms(&[Algorithm::RS256])).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::AlgorithmNotAllowed(_)),
        "{e:?}"
    );
    for bad in ["ps256", "RS512", "HS256", ""] {
        let e = spec(Some(bad)).unwrap_err().to_string();
        assert!(e.contains("algorithm") && e.contains("PS256"), "{bad}: {e}");
    }
}

#[test]
fn a_validation_token_is_signed_with_rs256_or_ps256_only() {
    use twilio_token::ClientValidationJwt;
    use twilio_token::client_validation::ValidationPayload;
    let pem = include_bytes!("fixtures/rsa_pkcs8.pem");
    let token = |alg| {
        ClientValidationJwt::new("AC1", "SK1", "CR1", pem, ValidationPayload::default())
            .unwrap()
            .algorithm(alg)
            .to_jwt_at(AT)
    };
    for alg in [Algorithm::RS256, Algorithm::PS256] {
        let jwt = token(alg).unwrap();
        assert_eq!(dangerous::decode_unverified(&jwt).unwrap().header.alg, alg);
    }
    for alg in [Algorithm::RS384, Algorithm::PS512, Algorithm::HS256] {
        let e = token(alg).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Unsupported(_)),
            "{alg}: {e:?}"
        );
        assert!(e.to_string().contains("RS256 or PS256"), "{e}");
    }
}

#[test]
fn a_jwt_spec_mints_the_base_with_its_payload_and_headers() {
    let token = spec::mint(
        r#"{"kind": "jwt", "secret": "s", "issuer": "SK1", "subject": "AC1", "algorithm": "HS384",
        "ttl": 60, "nbf": null, "at": 1700000000, "headers": {"kid": "k", "b64": true, "alg": "x"},
        "payload": {"z": 1, "iss": "replaced", "a": {"b": [1.50, 1E2]}}}"#,
    )
    .unwrap();
    let at = Validation::default().at(AT);
    let key = DecodingKey::from_secret(b"s");
    assert!(
        decode::<Claims>(&token, &key, &at).is_err(),
        "HS384 is not HS256"
    );
    let data = decode::<Claims>(&token, &key, &at.algorithms(&[Algorithm::HS384])).unwrap();
    assert_eq!(
        data.header.json(),
        r#"{"alg":"HS384","kid":"k","typ":"JWT"}"#
    );
    let payload = serde_json::Value::Object(data.claims).to_string();
    assert_eq!(
        payload,
        r#"{"z":1,"iss":"SK1","a":{"b":[1.5,100.0]},"exp":1700000060,"sub":"AC1"}"#
    );
}

#[test]
fn a_jwt_spec_refuses_what_the_reference_cannot_mint() {
    let base = r#""kind": "jwt", "secret": "s", "issuer": "SK1""#;
    for (extra, needle) in [
        (r#""algorithm": "RS256""#, "HS256"),
        (r#""algorithm": "hs256""#, "HS512"),
        (r#""headers": {"b64": false}"#, "b64"),
        (r#""headers": {"kid": 5}"#, "kid"),
        (r#""payload": [1]"#, "payload"),
        (r#""claims": {}"#, "claims"),
        (r#""ttl": -1"#, "ttl"),
    ] {
        let e = spec_error(&format!("{{{base}, {extra}}}"));
        assert!(e.contains(needle), "{extra}: {e}");
    }
    let e = spec_error(r#"{"kind": "jwt", "secret": "s"}"#);
    assert!(e.contains("issuer"), "{e}");
    let e = spec_error(r#"{"kind": "jwt", "secret": "", "issuer": "SK1"}"#);
    assert!(e.contains("key"), "an empty secret signs nothing: {e}");
}

/// `spec::node::mint_str` mints what `spec::mint` mints for a Node-dialect spec, with or
/// without its `"dialect"`, and refuses another dialect. An access spec that begins with
/// `kind` and `dialect` (as the npm package writes it) is read another way: the tokens and the
/// errors are the same as in any other order.
#[test]
fn the_node_door_mints_the_node_dialect_alone() {
    let mut spec = serde_json::json!({"kind": "access", "dialect": "node", "account_sid": "AC1",
        "signing_key_sid": "SK1", "secret": "s", "identity": 42, "region": "ie1",
        "grants": [{"video": {"room": "r"}}, {"custom": {"key": "k", "payload": [1]}}]});
    let mint_str = |spec: &serde_json::Value| spec::node::mint_str(&spec.to_string(), AT);
    let at = |spec: &serde_json::Value| {
        let mut spec = spec.clone();
        spec["at"] = AT.into();
        spec.to_string()
    };
    let token = spec::mint(&at(&spec)).unwrap();
    assert_eq!(mint_str(&spec).unwrap(), token);
    // The same spec with its members in another order.
    let mut reordered = serde_json::Map::new();
    for (k, v) in spec.as_object().unwrap().iter().rev() {
        reordered.insert(k.clone(), v.clone());
    }
    let reordered = serde_json::Value::Object(reordered);
    assert_eq!(mint_str(&reordered).unwrap(), token);
    // Its own "at" wins over the clock given; a null one is absent, on both roads.
    assert_eq!(spec::node::mint_str(&at(&spec), AT + 60).unwrap(), token);
    for spec in [&spec, &reordered] {
        let mut null_at = spec.clone();
        null_at["at"] = serde_json::Value::Null;
        assert_eq!(mint_str(&null_at).unwrap(), token);
    }
    for (field, value) in [
        ("secret", serde_json::json!(7)),
        ("grants", serde_json::json!([{"video": {"room": 1}}])),
        ("grants", serde_json::json!([{"sip": {}}])),
        ("identity", serde_json::json!(null)),
        ("colour", serde_json::json!("blue")),
        ("ttl", serde_json::json!(-1)),
    ] {
        let (mut first, mut last) = (spec.clone(), reordered.clone());
        first[field] = value.clone();
        last[field] = value;
        let e = mint_str(&first).unwrap_err().to_string();
        assert_eq!(e, mint_str(&last).unwrap_err().to_string(), "{field}");
        assert!(!e.contains("line"), "{e}");
    }
    spec.as_object_mut().unwrap().remove("dialect");
    assert_eq!(mint_str(&spec).unwrap(), token);
    spec["dialect"] = "python".into();
    let e = mint_str(&spec).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidSpec(_)), "{e:?}");
}

/// A validation token's signing input is what `spec::node::mint_str` signs, for PS256 too, and
/// its errors are `mint_str`'s: a bad key, a field missing, another kind.
#[test]
fn a_validation_tokens_signing_input_is_what_the_node_door_signs() {
    let pem = include_str!("fixtures/keys/rsa_a.pem");
    for algorithm in ["RS256", "PS256"] {
        let spec = serde_json::json!({"kind": "validation", "dialect": "node", "account_sid": "AC1",
            "credential_sid": "CR1", "signing_key": "SK1", "private_key": pem,
            "algorithm": algorithm, "hrh": "authorization;host", "rqh": "ab", "ttl": 60});
        let input = spec::node::validation_signing_input(&spec.to_string(), AT).unwrap();
        let token = spec::node::mint_str(&spec.to_string(), AT).unwrap();
        let (signed, signature) = token.rsplit_once('.').unwrap();
        assert_eq!(input, signed, "{algorithm}");
        assert!(!signature.is_empty());
        assert_eq!(claims(&token)["exp"], AT + 60);
    }
    let error = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut spec = serde_json::json!({"kind": "validation", "account_sid": "AC1",
            "credential_sid": "CR1", "signing_key": "SK1", "private_key": pem,
            "hrh": "host", "rqh": "ab"});
        change(&mut spec);
        let unsigned = spec::node::validation_signing_input(&spec.to_string(), AT);
        let minted = spec::node::mint_str(&spec.to_string(), AT);
        (
            unsigned.unwrap_err().to_string(),
            minted.map_err(|e| e.to_string()),
        )
    };
    for change in [
        &|s: &mut serde_json::Value| s["private_key"] = "nope".into(),
        &|s: &mut serde_json::Value| s["signing_key"] = "".into(),
        &|s: &mut serde_json::Value| s["algorithm"] = "HS256".into(),
    ] as [&dyn Fn(&mut serde_json::Value); 3]
    {
        let (unsigned, minted) = error(change);
        assert_eq!(Err(unsigned), minted);
    }
    let (unsigned, minted) = error(&|s| s["kind"] = "client".into());
    assert!(unsigned.contains("only a validation token"), "{unsigned}");
    assert!(minted.is_err());
}
