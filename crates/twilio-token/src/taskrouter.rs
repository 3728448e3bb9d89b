//! TaskRouter capability tokens for workers, task queues and workspaces.

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::error::{ErrorKind, Result, err};
use crate::jwt::{Body, Lifetime, Payload};
use crate::key::EncodingKey;
use serde::ser::SerializeMap;

const VERSION: &str = "v1";
const DOMAIN: &str = "https://taskrouter.twilio.com";
const EVENTS_BASE_URL: &str = "https://event-bridge.twilio.com/v1/wschannels";

/// Which TaskRouter resource a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A worker (`WK...`).
    Worker,
    /// A task queue (`WQ...`).
    TaskQueue,
    /// The workspace itself (`WS...`).
    Workspace,
}

impl Channel {
    fn prefix(self) -> &'static str {
        match self {
            Channel::Worker => "WK",
            Channel::TaskQueue => "WQ",
            Channel::Workspace => "WS",
        }
    }
}

/// The policies granted at construction, as the reference's `allow_*` keyword arguments.
/// [`Default`] has the reference's defaults: web sockets and fetching itself, and for a worker
/// fetching activities, tasks and its reservations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // one switch per reference keyword argument
pub struct Allow {
    /// `allow_web_sockets` (default on).
    pub web_sockets: bool,
    /// `allow_fetch_self` (default on).
    pub fetch_self: bool,
    /// `allow_update_self`.
    pub update_self: bool,
    /// `allow_delete_self`.
    pub delete_self: bool,
    /// `allow_fetch_subresources`.
    pub fetch_subresources: bool,
    /// `allow_update_subresources`.
    pub update_subresources: bool,
    /// `allow_delete_subresources`.
    pub delete_subresources: bool,
    /// Workers only: `allow_fetch_activities` (default on).
    pub fetch_activities: bool,
    /// Workers only: `allow_fetch_reservations` (default on).
    pub fetch_reservations: bool,
    /// Workers only: `allow_fetch_worker_reservations` (default on).
    pub fetch_worker_reservations: bool,
    /// Workers only: `allow_update_activities`.
    pub update_activities: bool,
    /// Workers only: `allow_update_reservations`.
    pub update_reservations: bool,
}

impl Default for Allow {
    fn default() -> Self {
        Allow {
            web_sockets: true,
            fetch_self: true,
            update_self: false,
            delete_self: false,
            fetch_subresources: false,
            update_subresources: false,
            delete_subresources: false,
            fetch_activities: true,
            fetch_reservations: true,
            fetch_worker_reservations: true,
            update_activities: false,
            update_reservations: false,
        }
    }
}

/// An `allow_*` method, as a value.
type Step = fn(&mut TaskRouterCapabilityToken);

/// One TaskRouter policy: which URL, which method, and the filters on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    /// The resource URL; `/**` matches everything below it.
    pub url: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// Whether the request is allowed.
    pub allow: bool,
    /// Required query parameters.
    pub query_filter: Map<String, Value>,
    /// Required form parameters.
    pub post_filter: Map<String, Value>,
}

/// A TaskRouter capability token, like twilio-python's `WorkerCapabilityToken`,
/// `TaskQueueCapabilityToken` and `WorkspaceCapabilityToken`.
///
/// ```
/// use twilio_token::taskrouter::{Allow, TaskRouterCapabilityToken};
/// let mut token = TaskRouterCapabilityToken::worker(
///     "AC00000000000000000000000000000000", "auth_token",
///     "WS00000000000000000000000000000000", "WK00000000000000000000000000000000",
///     Allow { update_activities: true, ..Allow::default() },
/// )?;
/// token.allow_fetch_subresources();
/// let jwt = token.to_jwt()?;
/// # let _ = jwt;
/// assert!(TaskRouterCapabilityToken::worker("AC1", "t", "WS1", "WQ1", Allow::default()).is_err());
/// # Ok::<(), twilio_token::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TaskRouterCapabilityToken {
    channel: Channel,
    account_sid: String,
    key: EncodingKey,
    workspace_sid: String,
    channel_id: String,
    life: Lifetime,
    policies: Vec<Policy>,
}

impl TaskRouterCapabilityToken {
    /// A token for the worker `worker_sid`.
    pub fn worker(
        account_sid: &str,
        auth_token: impl AsRef<[u8]>,
        workspace_sid: &str,
        worker_sid: &str,
        allow: Allow,
    ) -> Result<Self> {
        Self::new(
            Channel::Worker,
            account_sid,
            auth_token.as_ref(),
            workspace_sid,
            worker_sid,
            allow,
        )
    }

    /// A token for the task queue `task_queue_sid`.
    pub fn task_queue(
        account_sid: &str,
        auth_token: impl AsRef<[u8]>,
        workspace_sid: &str,
        task_queue_sid: &str,
        allow: Allow,
    ) -> Result<Self> {
        Self::new(
            Channel::TaskQueue,
            account_sid,
            auth_token.as_ref(),
            workspace_sid,
            task_queue_sid,
            allow,
        )
    }

    /// A token for the workspace itself.
    pub fn workspace(
        account_sid: &str,
        auth_token: impl AsRef<[u8]>,
        workspace_sid: &str,
        allow: Allow,
    ) -> Result<Self> {
        Self::new(
            Channel::Workspace,
            account_sid,
            auth_token.as_ref(),
            workspace_sid,
            workspace_sid,
            allow,
        )
    }

    fn new(
        channel: Channel,
        account_sid: &str,
        auth_token: &[u8],
        workspace_sid: &str,
        channel_id: &str,
        allow: Allow,
    ) -> Result<Self> {
        // The reference checks prefixes only; so do we, naming the argument that is wrong.
        for (field, value, prefix) in [
            ("account_sid", account_sid, "AC"),
            ("workspace_sid", workspace_sid, "WS"),
            ("channel", channel_id, channel.prefix()),
        ] {
            if !value.starts_with(prefix) {
                return err(ErrorKind::InvalidSid {
                    field,
                    expected_prefix: prefix,
                });
            }
        }
        let mut token = TaskRouterCapabilityToken {
            channel,
            account_sid: account_sid.to_owned(),
            key: EncodingKey::from_secret(auth_token),
            workspace_sid: workspace_sid.to_owned(),
            channel_id: channel_id.to_owned(),
            life: Lifetime::default(),
            policies: Vec::new(),
        };
        // The reference's constructor order, which is the policy order in the token.
        let steps: [(bool, Step); 7] = [
            (allow.web_sockets, Self::allow_web_sockets),
            (allow.fetch_self, Self::allow_fetch_self),
            (allow.update_self, Self::allow_update_self),
            (allow.delete_self, Self::allow_delete_self),
            (allow.fetch_subresources, Self::allow_fetch_subresources),
            (allow.delete_subresources, Self::allow_delete_subresources),
            (allow.update_subresources, Self::allow_update_subresources),
        ];
        let worker_steps: [(bool, Step); 5] = [
            (allow.fetch_activities, Self::allow_fetch_activities),
            (allow.fetch_reservations, Self::allow_fetch_reservations),
            (
                allow.fetch_worker_reservations,
                Self::allow_fetch_worker_reservations,
            ),
            (allow.update_activities, Self::allow_update_activities),
            (allow.update_reservations, Self::allow_update_reservations),
        ];
        let worker = channel == Channel::Worker;
        for (on, step) in steps
            .into_iter()
            .chain(worker_steps.into_iter().filter(|_| worker))
        {
            if on {
                step(&mut token);
            }
        }
        Ok(token)
    }

    crate::jwt::lifetime_setters!();

    /// The policies so far, in token order.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    fn workspace_url(&self) -> String {
        format!("{DOMAIN}/{VERSION}/Workspaces/{}", self.workspace_sid)
    }

    fn resource_url(&self) -> String {
        match self.channel {
            Channel::Worker => format!("{}/Workers/{}", self.workspace_url(), self.channel_id),
            Channel::TaskQueue => {
                format!("{}/TaskQueues/{}", self.workspace_url(), self.channel_id)
            }
            Channel::Workspace => self.workspace_url(),
        }
    }

    /// Adds a policy.
    pub fn add_policy(
        &mut self,
        url: impl Into<String>,
        method: &str,
        allow: bool,
        query_filter: Map<String, Value>,
        post_filter: Map<String, Value>,
    ) -> &mut Self {
        self.policies.push(Policy {
            url: url.into(),
            method: method.to_uppercase(),
            allow,
            query_filter,
            post_filter,
        });
        self
    }

    fn allow(&mut self, url: String, method: &str) {
        self.add_policy(url, method, true, Map::new(), Map::new());
    }

    /// GET on the resource itself.
    pub fn allow_fetch_self(&mut self) {
        self.allow(self.resource_url(), "GET");
    }
    /// POST on the resource itself.
    pub fn allow_update_self(&mut self) {
        self.allow(self.resource_url(), "POST");
    }
    /// DELETE on the resource itself.
    pub fn allow_delete_self(&mut self) {
        self.allow(self.resource_url(), "DELETE");
    }
    /// GET on everything below the resource.
    pub fn allow_fetch_subresources(&mut self) {
        self.allow(self.resource_url() + "/**", "GET");
    }
    /// POST on everything below the resource.
    pub fn allow_update_subresources(&mut self) {
        self.allow(self.resource_url() + "/**", "POST");
    }
    /// DELETE on everything below the resource.
    pub fn allow_delete_subresources(&mut self) {
        self.allow(self.resource_url() + "/**", "DELETE");
    }
    /// GET and POST on the token's event-bridge web socket channel.
    pub fn allow_web_sockets(&mut self) {
        let url = format!("{EVENTS_BASE_URL}/{}/{}", self.account_sid, self.channel_id);
        self.allow(url.clone(), "GET");
        self.allow(url, "POST");
    }
    /// Workers: GET the workspace's activities.
    pub fn allow_fetch_activities(&mut self) {
        self.allow(self.workspace_url() + "/Activities", "GET");
    }
    /// Workers: GET the workspace's tasks.
    pub fn allow_fetch_reservations(&mut self) {
        self.allow(self.workspace_url() + "/Tasks/**", "GET");
    }
    /// Workers: GET the worker's reservations.
    pub fn allow_fetch_worker_reservations(&mut self) {
        self.allow(self.resource_url() + "/Reservations/**", "GET");
    }
    /// Workers: POST a new activity (an `ActivitySid` is required).
    pub fn allow_update_activities(&mut self) {
        let post_filter = json!({"ActivitySid": {"required": true}});
        let Value::Object(post_filter) = post_filter else {
            unreachable!("a JSON object literal")
        };
        self.add_policy(self.resource_url(), "POST", true, Map::new(), post_filter);
    }
    /// Workers: POST to tasks and to the worker's reservations.
    pub fn allow_update_reservations(&mut self) {
        self.allow(self.workspace_url() + "/Tasks/**", "POST");
        self.allow(self.resource_url() + "/Reservations/**", "POST");
    }

    /// Signs the token now.
    pub fn to_jwt(&self) -> Result<String> {
        self.to_jwt_at(crate::now())
    }

    /// Signs the token as if the clock read `now` (Unix seconds).
    pub fn to_jwt_at(&self, now: i64) -> Result<String> {
        Payload::new(self, &self.account_sid, None, &self.life, now)
            .sign_hs256(crate::header::PLAIN_HEADER_B64, &self.key)
    }
}

impl Body for &TaskRouterCapabilityToken {
    fn write<M: SerializeMap>(&self, map: &mut M) -> std::result::Result<(), M::Error> {
        let channel = self.channel_id.as_str();
        map.serialize_entry("account_sid", &self.account_sid)?;
        map.serialize_entry("workspace_sid", &self.workspace_sid)?;
        map.serialize_entry("channel", channel)?;
        map.serialize_entry("version", VERSION)?;
        map.serialize_entry("friendly_name", channel)?;
        map.serialize_entry("policies", &self.policies)?;
        // The reference looks at the channel's prefix, not the token's kind.
        if channel.starts_with("WK") {
            map.serialize_entry("worker_sid", channel)?;
        } else if channel.starts_with("WQ") {
            map.serialize_entry("taskqueue_sid", channel)?;
        }
        Ok(())
    }
}
