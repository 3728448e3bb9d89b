//! Mint and verify throughput against jsonwebtoken doing the identical work in the same run.
//!
//! `cargo bench -p twilio-token --bench tokens`
//!
//! Two tokens: the tutorial's (identity + video room) and a three-grant one (video, chat,
//! voice). jsonwebtoken gets its best configuration: a precomputed key, typed claims structs,
//! and the same header and claims (its header has the `cty` too).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};
use twilio_token::grants::{ChatGrant, VideoGrant, VoiceGrant};
use twilio_token::{AccessToken, DecodingKey, EncodingKey, Validation, access_token, decode};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const KEY_SID: &str = "SK0123456789abcdef0123456789abcdef";
const SECRET: &[u8] = b"3b9cfb2d8a7e41f0a1c5e6d7f8091a2b";
const NOW: i64 = 1_700_000_000;

fn ours_tutorial(key: &EncodingKey) -> String {
    AccessToken::with_key(ACCOUNT, KEY_SID, key.clone())
        .identity("alice")
        .grant(VideoGrant::room("My Room"))
        .to_jwt_at(NOW)
        .unwrap()
}

fn ours_three(key: &EncodingKey) -> String {
    AccessToken::with_key(ACCOUNT, KEY_SID, key.clone())
        .identity("alice")
        .grant(VideoGrant::room("My Room"))
        .grant(ChatGrant {
            service_sid: Some("IS0123456789abcdef0123456789abcdef".into()),
            endpoint_id: Some("alice-web".into()),
            ..Default::default()
        })
        .grant(VoiceGrant {
            incoming_allow: Some(true),
            outgoing_application_sid: Some("AP0123456789abcdef0123456789abcdef".into()),
            ..Default::default()
        })
        .to_jwt_at(NOW)
        .unwrap()
}

#[derive(Serialize, Deserialize)]
struct Video {
    room: String,
}
#[derive(Serialize, Deserialize)]
struct Chat {
    service_sid: String,
    endpoint_id: String,
}
#[derive(Serialize, Deserialize)]
struct Allow {
    allow: bool,
}
#[derive(Serialize, Deserialize)]
struct Outgoing {
    application_sid: String,
}
#[derive(Serialize, Deserialize)]
struct Voice {
    incoming: Allow,
    outgoing: Outgoing,
}
#[derive(Serialize, Deserialize)]
struct Grants {
    video: Video,
    #[serde(skip_serializing_if = "Option::is_none")]
    chat: Option<Chat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    voice: Option<Voice>,
    identity: String,
}
#[derive(Serialize, Deserialize)]
struct Claims {
    jti: String,
    grants: Grants,
    iss: String,
    exp: i64,
    nbf: i64,
    sub: String,
}

fn peer_claims(three: bool) -> Claims {
    Claims {
        jti: format!("{KEY_SID}-{NOW}"),
        grants: Grants {
            video: Video {
                room: "My Room".into(),
            },
            chat: three.then(|| Chat {
                service_sid: "IS0123456789abcdef0123456789abcdef".into(),
                endpoint_id: "alice-web".into(),
            }),
            voice: three.then(|| Voice {
                incoming: Allow { allow: true },
                outgoing: Outgoing {
                    application_sid: "AP0123456789abcdef0123456789abcdef".into(),
                },
            }),
            identity: "alice".into(),
        },
        iss: KEY_SID.into(),
        exp: NOW + 3600,
        nbf: NOW,
        sub: ACCOUNT.into(),
    }
}

fn benches(c: &mut Criterion) {
    let key = EncodingKey::from_secret(SECRET);
    let dkey = DecodingKey::from_secret(SECRET);
    let validation = Validation::default().at(NOW + 1);

    let peer_key = jsonwebtoken::EncodingKey::from_secret(SECRET);
    let peer_dkey = jsonwebtoken::DecodingKey::from_secret(SECRET);
    let mut peer_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    peer_header.cty = Some("twilio-fpa;v=1".into());
    let mut peer_validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    peer_validation.leeway = 0;
    // jsonwebtoken reads the system clock; these tokens must be valid now for it.
    let live = |mut c: Claims| {
        let now = twilio_token::now();
        c.exp = now + 3600;
        c.nbf = now;
        c
    };

    for (name, three) in [("tutorial", false), ("three_grants", true)] {
        let mint_ours = if three { ours_three } else { ours_tutorial };
        let mut g = c.benchmark_group(format!("mint/{name}"));
        g.bench_function("twilio-token", |b| b.iter(|| mint_ours(black_box(&key))));
        g.bench_function("jsonwebtoken", |b| {
            b.iter(|| {
                jsonwebtoken::encode(&peer_header, &peer_claims(black_box(three)), &peer_key)
                    .unwrap()
            })
        });
        g.finish();

        let ours = mint_ours(&key);
        let theirs =
            jsonwebtoken::encode(&peer_header, &live(peer_claims(three)), &peer_key).unwrap();
        let mut g = c.benchmark_group(format!("verify/{name}"));
        g.bench_function("twilio-token", |b| {
            b.iter(|| access_token::decode(black_box(&ours), &dkey, &validation).unwrap())
        });
        g.bench_function("twilio-token-typed", |b| {
            b.iter(|| decode::<Claims>(black_box(&ours), &dkey, &validation).unwrap())
        });
        g.bench_function("twilio-token-json-map", |b| {
            b.iter(|| decode::<twilio_token::Claims>(black_box(&ours), &dkey, &validation).unwrap())
        });
        g.bench_function("jsonwebtoken", |b| {
            b.iter(|| {
                jsonwebtoken::decode::<Claims>(black_box(&theirs), &peer_dkey, &peer_validation)
                    .unwrap()
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = tokens;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(tokens);
