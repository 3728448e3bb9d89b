// The token server's page: sign in, show the token's identity, grants and time left, refresh
// it through the session cookie before it expires, sign out. No credentials are kept in the
// page: the password goes to POST /token once, the session cookie is HttpOnly. The session
// keeps no room, so the page keeps the room it signed in with (in sessionStorage, so that a
// reload into the same session keeps it too) and names it again in each refresh.
"use strict";

const $ = (id) => document.getElementById(id);
let token = null; // { jwt, claims, expiresAt }
let timer = null;
let refreshing = false;

const ROOM_KEY = "twilio-token-room";
const ROOM_REQUIRED = "This account must name a room: enter the room to join, then sign in again.";

// sessionStorage may be unavailable (storage disabled): the room then lasts until a reload.
let room = (() => { try { return sessionStorage.getItem(ROOM_KEY) || ""; } catch (_) { return ""; } })();

function keepRoom(name) {
  room = name;
  try {
    if (name) sessionStorage.setItem(ROOM_KEY, name);
    else sessionStorage.removeItem(ROOM_KEY);
  } catch (_) { /* kept in the page only */ }
}

const GRANT_NAMES = {
  video: "Video", chat: "Conversations / Chat", voice: "Voice", data_sync: "Sync",
  task_router: "TaskRouter", player: "Live playback",
};

function show(id, visible) { $(id).hidden = !visible; }

function setError(message) {
  $("error").textContent = message || "";
  show("error", Boolean(message));
}

// The claims of a JWT, decoded for display only (the server verifies tokens).
function decodePart(part) {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function describeGrant(name, grant) {
  const label = GRANT_NAMES[name] || name;
  if (!grant || typeof grant !== "object" || Object.keys(grant).length === 0) {
    return `${label}: all`;
  }
  const parts = [];
  if (name === "voice") {
    if (grant.incoming && grant.incoming.allow) parts.push("incoming calls");
    if (grant.outgoing) parts.push(`outgoing calls via ${grant.outgoing.application_sid}`);
  }
  for (const [key, value] of Object.entries(grant)) {
    if (name === "voice" && (key === "incoming" || key === "outgoing")) continue;
    parts.push(`${key.replace(/_/g, " ")} ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  return `${label}: ${parts.join(", ")}`;
}

function render(jwt, expiresAt) {
  const [header, claims] = jwt.split(".").slice(0, 2).map(decodePart);
  // The minting time is the jti's suffix (`SK...-TIME`): nbf may be backdated or left out.
  const minted = Number(String(claims.jti || "").split("-").pop());
  token = { jwt, claims, expiresAt, issuedAt: minted || Math.floor(Date.now() / 1000) };
  $("identity").textContent = claims.grants.identity || "(no identity)";
  const list = $("grants");
  list.replaceChildren();
  for (const [name, grant] of Object.entries(claims.grants)) {
    if (name === "identity") continue;
    const item = document.createElement("li");
    item.textContent = describeGrant(name, grant);
    list.append(item);
  }
  $("token").value = jwt;
  $("header").textContent = JSON.stringify(header, null, 2);
  $("claims").textContent = JSON.stringify(claims, null, 2);
  show("signin", false);
  show("session", true);
  tick();
  if (!timer) timer = setInterval(tick, 1000);
}

// Like the Twilio SDKs' tokenAboutToExpire: refresh when a quarter of the token's life (at
// most three minutes) is left.
function tick() {
  if (!token) return;
  const left = token.expiresAt - Math.floor(Date.now() / 1000);
  $("countdown").textContent = left > 0 ? `in ${formatSeconds(left)}` : "now (expired)";
  const lifetime = token.expiresAt - token.issuedAt;
  if (left <= Math.min(180, Math.ceil(lifetime / 4)) && !refreshing) {
    refresh();
  }
}

function formatSeconds(s) {
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

async function requestToken(body) {
  const options = { method: "POST", credentials: "same-origin", headers: {} };
  if (body) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  return fetch("/token", options);
}

async function messageFor(response) {
  if (response.status === 401) return "Wrong username or password.";
  if (response.status === 400) {
    const body = await response.json().catch(() => ({}));
    if (body.error === "room_required") return ROOM_REQUIRED;
  }
  if (response.status === 429) {
    const wait = Number(response.headers.get("Retry-After")) || 60;
    return `Too many failed attempts. Try again in ${formatSeconds(wait)}.`;
  }
  if (response.status === 403) {
    const body = await response.json().catch(() => ({}));
    return `Not allowed: ${body.message || "the server's policy refuses this"}.`;
  }
  if (response.status === 503) return "The server is busy. Try again in a moment.";
  return `Something went wrong on the server (HTTP ${response.status}). Try again.`;
}

const UNREACHABLE = "Cannot reach the server. Check your connection and try again.";

async function signIn(event) {
  event.preventDefault();
  setError("");
  $("signin-button").disabled = true;
  try {
    const asked = $("room").value.trim();
    const credentials = { username: $("username").value, password: $("password").value };
    const response = await requestToken(asked ? { ...credentials, room: asked } : credentials);
    if (!response.ok) {
      const message = await messageFor(response);
      setError(message);
      if (message === ROOM_REQUIRED) $("room").focus();
      return;
    }
    keepRoom(asked);
    $("password").value = "";
    const body = await response.json();
    $("refreshes").replaceChildren();
    render(body.token, body.expires_at);
  } catch (_) {
    setError(UNREACHABLE);
  } finally {
    $("signin-button").disabled = false;
  }
}

async function refresh() {
  refreshing = true;
  try {
    const response = await requestToken(room ? { room } : null);
    if (!response.ok) {
      signedOut(response.status === 401 ? "Your session has ended. Please sign in again." : await messageFor(response));
      return;
    }
    const body = await response.json();
    render(body.token, body.expires_at);
    const item = document.createElement("li");
    item.textContent = `Refreshed at ${new Date().toLocaleTimeString()}; new token expires in ${formatSeconds(body.expires_at - Math.floor(Date.now() / 1000))}.`;
    $("refreshes").append(item);
  } catch (_) {
    setError(UNREACHABLE);
  } finally {
    refreshing = false;
  }
}

function signedOut(message) {
  token = null;
  clearInterval(timer);
  timer = null;
  show("session", false);
  show("signin", true);
  setError(message || "");
  $(message === ROOM_REQUIRED ? "room" : "username").focus();
}

async function signOut() {
  try {
    await fetch("/logout", { method: "POST", credentials: "same-origin" });
    keepRoom("");
    signedOut("");
  } catch (_) {
    setError(UNREACHABLE);
  }
}

async function copyToken() {
  const status = $("copy-status");
  try {
    await navigator.clipboard.writeText(token.jwt);
    status.textContent = "Token copied to the clipboard.";
  } catch (_) {
    // No clipboard permission (an insecure origin, a headless browser): select it instead.
    $("token").closest("details").open = true;
    $("token").select();
    status.textContent = document.execCommand("copy")
      ? "Token copied to the clipboard."
      : "Token selected: press Ctrl+C (or Cmd+C) to copy it.";
  }
}

async function start() {
  $("signin").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  $("copy").addEventListener("click", copyToken);
  try {
    const info = await (await fetch("/api/info")).json();
    show("demo", info.demo);
  } catch (_) { /* the sign-in will say the server is unreachable */ }
  // A session from before a reload gets a fresh token without the password.
  $("room").value = room;
  try {
    const response = await requestToken(room ? { room } : null);
    if (response.ok) {
      const body = await response.json();
      render(body.token, body.expires_at);
      return;
    }
    if (response.status === 400) {
      // A session whose room this tab does not know: sign in again naming it.
      signedOut(await messageFor(response));
      return;
    }
  } catch (_) {
    setError(UNREACHABLE);
  }
  show("signin", true);
  $("username").focus();
}

start();
