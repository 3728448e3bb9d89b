//! `twilio-token access`: an access token from flags, in the spirit of the official CLI's
//! token plugin.

use serde_json::Value;
use twilio_token::access_token::check_lifetime;
use twilio_token::grants::{
    ChatGrant, Grant, PlaybackGrant, SyncGrant, TaskRouterGrant, VideoGrant, VoiceGrant,
};
use twilio_token::region::Region;
use twilio_token::{AccessToken, ErrorKind, Nbf, dangerous, identity, sid};

use crate::{Failure, describe};

/// Arguments of `access`.
#[derive(clap::Args)]
pub struct Args {
    /// The user's identity.
    #[arg(long)]
    identity: String,
    /// Seconds until the token expires (at most 86400, counted from nbf when it is earlier:
    /// Twilio error 20157).
    #[arg(long, default_value_t = 3600)]
    ttl: u32,
    /// The Twilio Region of the API key, for the `twr` header: us1, ie1 or au1 (any case).
    #[arg(long)]
    region: Option<Region>,
    /// Not valid before this Unix time (default: now).
    #[arg(long, conflicts_with = "no_nbf")]
    nbf: Option<i64>,
    /// Leave the nbf claim out.
    #[arg(long)]
    no_nbf: bool,
    /// Expire at this Unix time instead of now + ttl.
    #[arg(long)]
    valid_until: Option<i64>,
    /// Mint as if the clock read this Unix time (to reproduce a token).
    #[arg(long)]
    at: Option<i64>,

    #[command(flatten)]
    credentials: super::Credentials,

    /// Video grant for this room.
    #[arg(long, help_heading = "Video")]
    video_room: Option<String>,
    /// Video grant for any room.
    #[arg(long, help_heading = "Video", conflicts_with = "video_room")]
    video: bool,

    /// Chat/Conversations service SID (IS...).
    #[arg(long, help_heading = "Chat")]
    chat_service_sid: Option<String>,
    /// Chat endpoint id.
    #[arg(long, help_heading = "Chat", requires = "chat_service_sid")]
    chat_endpoint_id: Option<String>,
    /// Chat deployment role SID.
    #[arg(long, help_heading = "Chat", requires = "chat_service_sid")]
    chat_deployment_role_sid: Option<String>,

    /// Voice: TwiML application SID for outgoing calls (AP...).
    #[arg(long, help_heading = "Voice")]
    voice_app_sid: Option<String>,
    /// Voice: parameters for the application, as a JSON object.
    #[arg(
        long,
        help_heading = "Voice",
        requires = "voice_app_sid",
        value_name = "JSON"
    )]
    voice_app_params: Option<String>,
    /// Voice: allow incoming calls.
    #[arg(long, help_heading = "Voice")]
    voice_incoming: bool,
    /// Voice: endpoint id.
    #[arg(long, help_heading = "Voice")]
    voice_endpoint_id: Option<String>,
    /// Push credential SID (CR...) for the voice and chat grants.
    #[arg(long)]
    push_credential_sid: Option<String>,

    /// Sync service SID (IS...).
    #[arg(long, help_heading = "Sync")]
    sync_service_sid: Option<String>,
    /// Sync endpoint id.
    #[arg(long, help_heading = "Sync", requires = "sync_service_sid")]
    sync_endpoint_id: Option<String>,

    /// TaskRouter workspace SID (WS...).
    #[arg(long, help_heading = "TaskRouter")]
    workspace_sid: Option<String>,
    /// TaskRouter worker SID (WK...).
    #[arg(long, help_heading = "TaskRouter", requires = "workspace_sid")]
    worker_sid: Option<String>,
    /// TaskRouter role.
    #[arg(long, help_heading = "TaskRouter", requires = "workspace_sid")]
    task_router_role: Option<String>,

    /// Playback grant: the JSON object Twilio's API returned for the stream.
    #[arg(long, help_heading = "Playback", value_name = "JSON")]
    playback_grant: Option<String>,
}

fn required(value: Option<String>, flag: &str, var: &str) -> Result<String, Failure> {
    value.filter(|v| !v.is_empty()).ok_or_else(|| {
        Failure::Usage(format!(
            "missing {flag} (or set {var} in the environment or ./.env)"
        ))
    })
}

fn check(flag: &'static str, value: Option<&str>, prefix: &'static str) -> Result<(), Failure> {
    match value {
        Some(v) => sid::validate(flag, v, prefix)
            .map_err(|_| Failure::Usage(format!("{flag}: not a valid SID: expected {prefix} followed by 32 hex digits (34 characters)"))),
        None => Ok(()),
    }
}

fn json_object(flag: &str, text: &str) -> Result<Value, Failure> {
    match serde_json::from_str(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(Failure::Usage(format!("{flag} must be a JSON object"))),
    }
}

/// Prints the token alone on stdout.
pub fn run(a: Args) -> Result<(), Failure> {
    let account_sid = required(
        a.credentials.account_sid,
        "--account-sid",
        "TWILIO_ACCOUNT_SID",
    )?;
    let key_sid = required(
        a.credentials.api_key_sid,
        "--api-key-sid",
        "TWILIO_API_KEY_SID",
    )?;
    let secret = required(
        a.credentials.api_key_secret,
        "--api-key-secret",
        "TWILIO_API_KEY_SECRET",
    )?;
    check("--account-sid", Some(&account_sid), "AC")?;
    check("--api-key-sid", Some(&key_sid), "SK")?;
    check("--chat-service-sid", a.chat_service_sid.as_deref(), "IS")?;
    check("--sync-service-sid", a.sync_service_sid.as_deref(), "IS")?;
    check("--voice-app-sid", a.voice_app_sid.as_deref(), "AP")?;
    check(
        "--push-credential-sid",
        a.push_credential_sid.as_deref(),
        "CR",
    )?;
    check("--workspace-sid", a.workspace_sid.as_deref(), "WS")?;
    check("--worker-sid", a.worker_sid.as_deref(), "WK")?;
    if a.identity.is_empty() {
        return Err(Failure::Usage("--identity must not be empty".into()));
    }

    let mut token = AccessToken::new(account_sid, key_sid, secret)
        .identity(&a.identity)
        .ttl(a.ttl)
        .nbf(match (a.no_nbf, a.nbf) {
            (true, _) => Nbf::Omit,
            (false, Some(t)) => Nbf::At(t),
            (false, None) => Nbf::Now,
        });
    if let Some(t) = a.valid_until {
        token = token.valid_until(t);
    }
    if let Some(region) = a.region {
        // Always the lower-case name, whatever case was typed.
        token = token.region(region.as_str());
    }

    if a.video || a.video_room.is_some() {
        token.add_grant(
            a.video_room
                .map_or_else(VideoGrant::default, VideoGrant::room),
        );
    }
    if a.chat_service_sid.is_some() {
        token.add_grant(ChatGrant {
            service_sid: a.chat_service_sid,
            endpoint_id: a.chat_endpoint_id,
            deployment_role_sid: a.chat_deployment_role_sid,
            push_credential_sid: a.push_credential_sid.clone(),
        });
    }
    if a.voice_app_sid.is_some() || a.voice_incoming {
        let params = a
            .voice_app_params
            .as_deref()
            .map(|p| json_object("--voice-app-params", p))
            .transpose()?;
        token.add_grant(VoiceGrant {
            incoming_allow: a.voice_incoming.then_some(true),
            outgoing_application_sid: a.voice_app_sid,
            outgoing_application_params: params,
            push_credential_sid: a.push_credential_sid,
            endpoint_id: a.voice_endpoint_id,
        });
    }
    if a.sync_service_sid.is_some() {
        token.add_grant(SyncGrant {
            service_sid: a.sync_service_sid,
            endpoint_id: a.sync_endpoint_id,
        });
    }
    if a.workspace_sid.is_some() {
        token.add_grant(TaskRouterGrant {
            workspace_sid: a.workspace_sid,
            worker_sid: a.worker_sid,
            role: a.task_router_role,
        });
    }
    if let Some(grant) = a.playback_grant {
        token.add_grant(PlaybackGrant {
            grant: Some(json_object("--playback-grant", &grant)?),
        });
    }
    if token.grants().is_empty() {
        return Err(Failure::Usage(
            "no grant given: add --video-room, --video, --chat-service-sid, --voice-app-sid, --voice-incoming, --sync-service-sid, --workspace-sid or --playback-grant".into(),
        ));
    }

    // Twilio refuses the token, yet it is the caller's to mint (to test a client, say).
    if let Err(rule) = identity::check(&a.identity, token.grants().iter().map(Grant::key)) {
        eprintln!(
            "warning: --identity {:?}: {rule}; Twilio will refuse this token (error 20106)",
            a.identity
        );
    }

    let now = a.at.unwrap_or_else(twilio_token::now);
    let jwt = token.to_jwt_at(now).and_then(|jwt| {
        // The token's own nbf and exp, so that the rule sees what Twilio will.
        let claims = dangerous::decode_unverified(&jwt)?.claims;
        let time = |k: &str| claims.get(k).and_then(Value::as_i64);
        if let (Some(nbf), Some(exp)) = (time("nbf"), time("exp")) {
            check_lifetime(nbf, exp)?;
        }
        Ok(jwt)
    });
    let jwt = jwt.map_err(|e| match e.kind() {
        ErrorKind::TtlTooLong { .. } => Failure::Usage(format!(
            "--ttl, --nbf or --valid-until: {}, counted from nbf (or now) to exp",
            describe(&e)
        )),
        _ => Failure::from(e),
    })?;
    println!("{jwt}");
    Ok(())
}
