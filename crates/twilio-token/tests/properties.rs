//! Property tests: what is minted decodes to what was put in, and no input makes decoding panic.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use twilio_token::grants::{ChatGrant, VideoGrant, VoiceGrant};
use twilio_token::{
    AccessToken, Claims, DecodingKey, EncodingKey, Jwt, Nbf, Validation, dangerous, decode,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn access_tokens_round_trip(
        identity in "\\PC{1,40}",
        room in proptest::option::of("\\PC{1,30}"),
        secret in proptest::collection::vec(any::<u8>(), 1..80),
        ttl in 0u32..=86_400,
        now in 0i64..4_000_000_000,
        incoming in any::<bool>(),
        region in proptest::option::of("[a-z]{2}[0-9]"),
    ) {
        let mut token = AccessToken::new("AC1", "SK1", &secret)
            .identity(identity.clone())
            .ttl(ttl)
            .grant(room.clone().map_or_else(VideoGrant::default, VideoGrant::room))
            .grant(VoiceGrant { incoming_allow: Some(incoming), ..Default::default() });
        if let Some(r) = &region {
            token = token.region(r.clone());
        }
        let jwt = token.to_jwt_at(now).unwrap();
        let data = decode::<Claims>(&jwt, &DecodingKey::from_secret(&secret), &Validation::default().at(now).validate_exp(ttl > 0)).unwrap();
        prop_assert_eq!(data.claims["grants"]["identity"].as_str(), Some(identity.as_str()));
        prop_assert_eq!(data.claims["grants"]["video"]["room"].as_str(), room.as_deref());
        prop_assert_eq!(data.claims["exp"].as_i64(), Some(now + i64::from(ttl)));
        prop_assert_eq!(data.claims["nbf"].as_i64(), Some(now));
        prop_assert_eq!(data.header.twr.as_deref(), region.as_deref());
        prop_assert_eq!(data.claims["grants"]["voice"].get("incoming").is_some(), incoming);
        // Every byte outside printable ASCII is escaped, as twilio-python writes it.
        let payload = URL_SAFE_NO_PAD.decode(jwt.split('.').nth(1).unwrap()).unwrap();
        prop_assert!(payload.iter().all(|b| (0x20..0x7f).contains(b)));
    }

    #[test]
    fn generic_jwts_round_trip(
        claims in proptest::collection::btree_map("[a-z_]{1,8}", "\\PC{0,20}", 0..8),
        issuer in "\\PC{1,20}",
        subject in "\\PC{0,20}",
    ) {
        let mut jwt = Jwt::new(issuer.clone()).subject(subject.clone()).nbf(Nbf::Omit);
        for (k, v) in &claims {
            jwt = jwt.claim(k.clone(), v.clone());
        }
        let token = jwt.encode_at(&EncodingKey::from_secret(b"k"), 1_000).unwrap();
        let data = decode::<Claims>(&token, &DecodingKey::from_secret(b"k"), &Validation::default().at(1_000)).unwrap();
        for (k, v) in &claims {
            if !["iss", "exp", "nbf", "sub"].contains(&k.as_str()) {
                prop_assert_eq!(data.claims[k].as_str(), Some(v.as_str()));
            }
        }
        prop_assert_eq!(data.claims["iss"].as_str(), Some(issuer.as_str()));
        prop_assert_eq!(data.claims.get("sub").and_then(|v| v.as_str()), (!subject.is_empty()).then_some(subject.as_str()));
        prop_assert!(data.claims.get("nbf").is_none() || claims.contains_key("nbf"));
    }

    #[test]
    fn a_second_grant_of_a_kind_replaces_the_first_in_place(a in "[a-z]{1,8}", b in "[a-z]{1,8}") {
        let mut token = AccessToken::new("AC1", "SK1", "s");
        token.add_grant(VideoGrant::room(a));
        token.add_grant(ChatGrant { service_sid: Some("IS1".into()), ..Default::default() });
        token.add_grant(VideoGrant::room(b.clone()));
        prop_assert_eq!(token.grants().len(), 2);
        prop_assert_eq!(token.grants()[0].key(), "video");
        let data = dangerous::decode_unverified(&token.to_jwt_at(0).unwrap()).unwrap();
        let keys: Vec<&String> = data.claims["grants"].as_object().unwrap().keys().collect();
        prop_assert_eq!(keys, vec!["video", "chat"]);
        prop_assert_eq!(data.claims["grants"]["video"]["room"].as_str(), Some(b.as_str()));
    }

    #[test]
    fn decoding_any_string_never_panics(input in "\\PC{0,200}") {
        let _ = decode::<Claims>(&input, &DecodingKey::from_secret(b"k"), &Validation::default());
        let _ = dangerous::decode_unverified(&input);
    }

    #[test]
    fn decoding_any_three_segments_never_panics(
        header in proptest::collection::vec(any::<u8>(), 0..64),
        payload in proptest::collection::vec(any::<u8>(), 0..128),
        signature in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let token = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(&header), URL_SAFE_NO_PAD.encode(&payload), URL_SAFE_NO_PAD.encode(&signature));
        prop_assert!(decode::<Claims>(&token, &DecodingKey::from_secret(b"k"), &Validation::default()).is_err());
        let _ = dangerous::decode_unverified(&token);
    }

    #[test]
    fn json_shaped_segments_never_panic(
        alg in prop_oneof![Just("HS256".to_owned()), Just("none".to_owned()), Just("RS256".to_owned()), "\\PC{0,8}"],
        claims in "\\PC{0,100}",
    ) {
        let header = serde_json::json!({"alg": alg}).to_string();
        let token = format!("{}.{}.", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
        prop_assert!(decode::<Claims>(&token, &DecodingKey::from_secret(b"k"), &Validation::default()).is_err());
        let _ = dangerous::decode_unverified(&token);
    }

    #[test]
    fn any_spec_text_never_panics(spec in "\\PC{0,200}") {
        let _ = twilio_token::spec::mint(&spec);
    }
}
