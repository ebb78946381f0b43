//! The LiteLLM proxy's key API, as the master key sees it: `/key/list`, `/key/generate`,
//! `/key/update`, `/key/delete` and `/key/{key}/regenerate`.
//!
//! Every answer is read as JSON, every refusal becomes a [`ProxyError`] with help, and every
//! text that comes from the proxy passes [`Redactor::redact`] first: a key value must never
//! reach a terminal or a log, even when LiteLLM echoes one in an error body.
//!
//! Retries are bounded (4 attempts, backoff from 250 ms, `Retry-After` honoured up to 10 s)
//! and only where repeating a request cannot do anything twice: reads, updates and deletes
//! on 429, 5xx and transport errors; `/key/generate` only on 429, 502, 503 and 504 (the
//! request was not processed), never on 500, where a key may have been minted.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// How many times a request is tried at most.
const ATTEMPTS: u32 = 4;
/// Help for a certificate gen-agents cannot verify.
const TLS_HELP: &str = "the proxy's TLS certificate is not trusted here: pass the CA that signed it with --ca-file (PEM)";
/// Page size of `/key/list` (LiteLLM's maximum).
const PAGE: usize = 100;

/// A key value minted by the proxy: never printed (no `Display`; `Debug` hides it).
#[derive(Clone, PartialEq, Eq)]
pub struct KeyValue(String);

impl KeyValue {
    /// The value, for the Secret manifest only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for KeyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyValue(<redacted>)")
    }
}

/// A refusal or failure, already redacted, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyError {
    /// What failed (`POST /key/generate: …`).
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// The HTTP status, when the proxy answered.
    pub status: Option<u16>,
}

impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n  help: {}", self.message, self.help)
    }
}

/// Hides every secret in a text from the proxy: the master key, each key minted in this run,
/// anything shaped like a LiteLLM key (`sk-` and 8 or more key characters), LiteLLM's own
/// masked form of one (`sk-...3f2f`: the last characters of the key sent), and key hashes
/// (64 hex digits), which LiteLLM echoes in its 401 answers.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Adds a secret to hide.
    pub fn add(&mut self, secret: &str) {
        if !secret.is_empty() {
            self.secrets.push(secret.to_owned());
        }
    }

    /// The text with every secret replaced by `<redacted>`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for s in &self.secrets {
            out = out.replace(s.as_str(), "<redacted>");
        }
        redact_hashes(&redact_sk(&out))
    }
}

/// Replaces `sk-` followed by at least 8 key characters (letters, digits, `-`, `_`).
fn redact_sk(text: &str) -> String {
    let key_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("sk-") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 3..];
        if let Some(masked) = tail.strip_prefix("...") {
            let n = masked.find(|c: char| !key_char(c)).unwrap_or(masked.len());
            out.push_str("sk-...<redacted>");
            rest = &masked[n..];
            continue;
        }
        let n = tail.find(|c: char| !key_char(c)).unwrap_or(tail.len());
        if n >= 8 {
            out.push_str("sk-<redacted>");
        } else {
            out.push_str(&rest[i..i + 3 + n]);
        }
        rest = &tail[n..];
    }
    out.push_str(rest);
    out
}

/// Replaces every run of exactly 64 hex digits (a sha256 key hash) by `<hash>`.
fn redact_hashes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == 64 {
            out.push_str("<hash>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A key as `/key/list?return_full_object=true` gives it (the fields gen-agents compares).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LiveKey {
    /// The key's hash: how the API names a key without its value.
    pub token: String,
    /// Its alias, unique per proxy.
    pub key_alias: Option<String>,
    /// Allowed models (`[]`: every model).
    pub models: Vec<String>,
    /// Budget in USD.
    pub max_budget: Option<f64>,
    /// Budget reset period.
    pub budget_duration: Option<String>,
    /// Requests per minute.
    pub rpm_limit: Option<u64>,
    /// Tokens per minute.
    pub tpm_limit: Option<u64>,
    /// Concurrent requests.
    pub max_parallel_requests: Option<u64>,
    /// Team.
    pub team_id: Option<String>,
    /// Metadata.
    pub metadata: Option<Map<String, Value>>,
    /// Expiry time, if any.
    pub expires: Option<String>,
}

/// What `/key/generate` returns that gen-agents keeps.
#[derive(Debug, Clone)]
pub struct Minted {
    /// The value, for the Secret.
    pub value: KeyValue,
    /// The hash, to delete the key again if its Secret cannot be written.
    pub token: String,
}

/// The outcome of `/key/{key}/regenerate`.
#[derive(Debug)]
pub enum Regenerated {
    /// A new value for the same key (identity and spend kept).
    Minted(Minted),
    /// The proxy does not offer regeneration (an Enterprise feature of LiteLLM).
    Unsupported,
}

/// Whether a request may be repeated after a given failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Reads, updates, deletes: 429, 5xx and transport errors.
    Idempotent,
    /// `/key/generate`: only where the request was certainly not processed.
    Unprocessed,
    /// Never (`regenerate`: a 500 is its "not offered" answer).
    Never,
}

/// A LiteLLM proxy reached with its master key.
pub struct Proxy {
    base: String,
    master: String,
    master_env: String,
    agent: ureq::Agent,
    /// Hides the master key and every minted key in proxy texts.
    pub redactor: Redactor,
}

impl Proxy {
    /// A client for the proxy at `url` (its root: `http(s)://host:port`, without `/v1`).
    /// `ca_file` adds a PEM bundle of trusted CAs to the built-in web roots (an in-house CA).
    pub fn new(
        url: &str,
        master: String,
        master_env: &str,
        ca_file: Option<&std::path::Path>,
        timeout: Duration,
    ) -> Result<Proxy, ProxyError> {
        let base = url.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ProxyError {
                message: format!("--proxy `{url}` is not an http:// or https:// URL"),
                help: "give the proxy's root URL, e.g. `--proxy https://litellm.example.com`"
                    .into(),
                status: None,
            });
        }
        if base.ends_with("/v1") {
            return Err(ProxyError {
                message: format!(
                    "--proxy `{url}` ends in /v1, but the key API is at the proxy's root"
                ),
                help: format!("use `--proxy {}`", base.trim_end_matches("/v1")),
                status: None,
            });
        }
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(path) = ca_file {
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&read_cas(path)?));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent(concat!("gen-agents/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build()
            .new_agent();
        let mut redactor = Redactor::default();
        redactor.add(&master);
        Ok(Proxy {
            base,
            master,
            master_env: master_env.to_owned(),
            agent,
            redactor,
        })
    }

    /// Every key of the proxy (all pages).
    pub fn list_keys(&self) -> Result<Vec<LiveKey>, ProxyError> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            keys: Vec<Value>,
            #[serde(default)]
            total_pages: Option<usize>,
        }
        let mut out = Vec::new();
        for page in 1.. {
            let path = format!("/key/list?return_full_object=true&size={PAGE}&page={page}");
            let v = self.call("GET", &path, None, Retry::Idempotent)?;
            let p: Page = serde_json::from_value(v).map_err(|e| self.shape("GET /key/list", &e))?;
            let n = p.keys.len();
            for k in p.keys {
                // A caller that is not an admin gets bare hashes: only full objects are keys.
                let key: LiveKey =
                    serde_json::from_value(k).map_err(|e| self.shape("GET /key/list", &e))?;
                // Every field may be missing but the hash, which names the key.
                if key.token.is_empty() {
                    let e = <serde_json::Error as serde::de::Error>::missing_field("token");
                    return Err(self.shape("GET /key/list", &e));
                }
                out.push(key);
            }
            if n < PAGE || p.total_pages.is_some_and(|t| page >= t) {
                break;
            }
        }
        Ok(out)
    }

    /// Mints a key (`/key/generate`).
    pub fn generate(&mut self, body: &Value) -> Result<Minted, ProxyError> {
        let v = self.call("POST", "/key/generate", Some(body), Retry::Unprocessed)?;
        self.minted("POST /key/generate", &v)
    }

    /// Changes a key (`/key/update`): `body` names it by `key` (its hash).
    pub fn update(&self, body: &Value) -> Result<(), ProxyError> {
        self.call("POST", "/key/update", Some(body), Retry::Idempotent)
            .map(drop)
    }

    /// Deletes keys by hash (`/key/delete`).
    pub fn delete(&self, tokens: &[String]) -> Result<(), ProxyError> {
        if tokens.is_empty() {
            return Ok(());
        }
        self.call(
            "POST",
            "/key/delete",
            Some(&json!({ "keys": tokens })),
            Retry::Idempotent,
        )
        .map(drop)
    }

    /// A new value for the key `token` (`/key/{key}/regenerate`), the old value valid for
    /// `grace` more (LiteLLM `grace_period`) or revoked at once.
    pub fn regenerate(
        &mut self,
        token: &str,
        grace: Option<&str>,
    ) -> Result<Regenerated, ProxyError> {
        let body = match grace {
            Some(g) => json!({ "grace_period": g }),
            None => json!({}),
        };
        let path = format!("/key/{token}/regenerate");
        match self.call("POST", &path, Some(&body), Retry::Never) {
            Ok(v) => self
                .minted("POST /key/…/regenerate", &v)
                .map(Regenerated::Minted),
            // LiteLLM without a licence answers 500 "… is an Enterprise feature".
            Err(e) if e.message.contains("Enterprise feature") => Ok(Regenerated::Unsupported),
            Err(e) => Err(e),
        }
    }

    fn minted(&mut self, what: &str, v: &Value) -> Result<Minted, ProxyError> {
        let (Some(value), Some(token)) = (
            v.get("key").and_then(Value::as_str),
            v.get("token").and_then(Value::as_str),
        ) else {
            return Err(ProxyError {
                message: format!("{what}: the answer has no `key` and `token`"),
                help: "is --proxy a LiteLLM proxy? gen-agents needs LiteLLM ≥ 1.53".into(),
                status: None,
            });
        };
        self.redactor.add(value);
        Ok(Minted {
            value: KeyValue(value.to_owned()),
            token: token.to_owned(),
        })
    }

    fn shape(&self, what: &str, e: &serde_json::Error) -> ProxyError {
        ProxyError {
            message: format!("{what}: unexpected answer ({})", self.redactor.redact(&e.to_string())),
            help: "is --proxy a LiteLLM proxy, and the master key an admin key? gen-agents needs LiteLLM ≥ 1.53".into(),
            status: None,
        }
    }

    /// One request with bounded retries; the answer's JSON on 2xx.
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        retry: Retry,
    ) -> Result<Value, ProxyError> {
        let url = format!("{}{path}", self.base);
        let shown = path.split('?').next().unwrap_or(path);
        let shown = if shown.ends_with("/regenerate") {
            "/key/…/regenerate"
        } else {
            shown
        };
        let what = format!("{method} {shown}");
        let mut attempt = 1;
        loop {
            let auth = format!("Bearer {}", self.master);
            let sent = match (method, body) {
                ("GET", _) => self.agent.get(&url).header("Authorization", &auth).call(),
                (_, Some(b)) => self
                    .agent
                    .post(&url)
                    .header("Authorization", &auth)
                    .header("Content-Type", "application/json")
                    .send(b.to_string()),
                (_, None) => self
                    .agent
                    .post(&url)
                    .header("Authorization", &auth)
                    .send_empty(),
            };
            let (status, wait, outcome) = match sent {
                Ok(mut resp) => {
                    let status = resp.status().as_u16();
                    let wait = retry_after(&resp);
                    let text = resp.body_mut().read_to_string().unwrap_or_default();
                    if (200..300).contains(&status) {
                        return serde_json::from_str(&text).map_err(|e| self.shape(&what, &e));
                    }
                    (Some(status), wait, self.refusal(&what, status, &text))
                }
                Err(e) => (None, None, self.transport(&what, &e)),
            };
            let again = attempt < ATTEMPTS
                && match (retry, status) {
                    (Retry::Never, _) => false,
                    (Retry::Idempotent, None) => true,
                    (_, Some(429)) => true,
                    (Retry::Idempotent, Some(s)) => s >= 500,
                    (Retry::Unprocessed, Some(s)) => matches!(s, 502..=504),
                    (Retry::Unprocessed, None) => false,
                };
            if !again {
                return Err(outcome);
            }
            let backoff = Duration::from_millis(250 << (attempt - 1));
            std::thread::sleep(wait.map_or(backoff, |w| w.min(Duration::from_secs(10))));
            attempt += 1;
        }
    }

    /// An error for a non-2xx answer, by status, with the proxy's own message (redacted).
    fn refusal(&self, what: &str, status: u16, body: &str) -> ProxyError {
        let said = self.redactor.redact(&proxy_message(body));
        let said_part = if said.is_empty() {
            String::new()
        } else {
            format!(": {said}")
        };
        let env = &self.master_env;
        let (message, help) = if is_no_database(&said) {
            (
                format!("{what}: the proxy has no database (HTTP {status}){said_part}"),
                "virtual keys live in LiteLLM's database: start the proxy with `database_url` (general_settings) or DATABASE_URL".to_owned(),
            )
        } else {
            match status {
                401 => (
                    format!("{what}: the proxy refused the master key from ${env} (HTTP 401){said_part}"),
                    format!("set {env} to the proxy's master key (`general_settings.master_key`), or name another variable with --master-key-env"),
                ),
                403 => (
                    format!("{what}: forbidden (HTTP 403){said_part}"),
                    format!("the key in ${env} may not manage keys: use the proxy's master key or an admin key"),
                ),
                404 => (
                    format!("{what}: not found at {} (HTTP 404){said_part}", self.base),
                    "--proxy must be the LiteLLM proxy's root URL (no /v1), and the proxy LiteLLM ≥ 1.53".to_owned(),
                ),
                429 => (
                    format!("{what}: rate limited (HTTP 429), {ATTEMPTS} attempts{said_part}"),
                    "try again later, or raise the proxy's limits for the master key".to_owned(),
                ),
                s if s >= 500 => (
                    format!("{what}: the proxy failed (HTTP {s}){said_part}"),
                    "see the proxy's log; `gen-agents keys plan` shows what was done".to_owned(),
                ),
                s => (
                    format!("{what}: refused (HTTP {s}){said_part}"),
                    "check the key policy in the spec; `gen-agents keys plan` shows what would be sent".to_owned(),
                ),
            }
        };
        ProxyError {
            message,
            help,
            status: Some(status),
        }
    }

    fn transport(&self, what: &str, e: &ureq::Error) -> ProxyError {
        // rustls reports a certificate it cannot verify as an I/O error, so the text decides.
        let text = e.to_string().to_ascii_lowercase();
        let help = match e {
            ureq::Error::Timeout(_) => "the proxy did not answer in time: check that it is up, or raise --timeout",
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) => TLS_HELP,
            _ if text.contains("certificate") || text.contains("tls") => TLS_HELP,
            _ => "check --proxy (the proxy's root URL, e.g. http://litellm:4000) and that the proxy is up",
        };
        ProxyError {
            message: format!(
                "{what}: cannot reach the proxy at {}: {}",
                self.base,
                self.redactor.redact(&e.to_string())
            ),
            help: help.into(),
            status: None,
        }
    }
}

/// `Retry-After` in seconds, if the answer has one.
fn retry_after(resp: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    let v = resp.headers().get("retry-after")?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The message of a LiteLLM error body (`{"error": {"message": …}}` or `{"detail": …}`),
/// else the body itself, cut to 500 characters.
fn proxy_message(body: &str) -> String {
    let v: Option<Value> = serde_json::from_str(body).ok();
    let text = v
        .as_ref()
        .and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.pointer("/detail/error"))
                .or_else(|| v.get("detail"))
        })
        .map(|m| match m {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_else(|| body.to_owned());
    let text = text.trim();
    match text.char_indices().nth(500) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// LiteLLM's answers when it runs without a database.
fn is_no_database(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("database not connected")
        || m.contains("no db connected")
        || m.contains("db not connected")
        || m.contains("no connected db")
        || m.contains("prisma_client is none")
}

fn read_cas(path: &std::path::Path) -> Result<Vec<ureq::tls::Certificate<'static>>, ProxyError> {
    let bad = |why: String| ProxyError {
        message: format!("--ca-file {}: {why}", path.display()),
        help: "give a PEM file of one or more CA certificates".into(),
        status: None,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<_, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no certificate in it".into()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_key_shapes_are_redacted() {
        let mut r = Redactor::default();
        r.add("master-123");
        let text = "Received API Key = sk-abcdefgh1234, master master-123, short sk-ab, sk-...YjpA";
        assert_eq!(
            r.redact(text),
            "Received API Key = sk-<redacted>, master <redacted>, short sk-ab, sk-...<redacted>"
        );
        let hash = "058c34e4".repeat(8);
        assert_eq!(
            r.redact(&format!("Key Hash (Token) ={hash}. cafe")),
            "Key Hash (Token) =<hash>. cafe"
        );
    }

    #[test]
    fn a_key_value_never_shows_in_debug() {
        let v = KeyValue("sk-secretvalue".into());
        assert_eq!(format!("{v:?}"), "KeyValue(<redacted>)");
    }

    #[test]
    fn proxy_messages_are_read_from_litellm_error_bodies() {
        assert_eq!(
            proxy_message(
                r#"{"error":{"message":"Key with alias 'a' already exists.","code":"400"}}"#
            ),
            "Key with alias 'a' already exists."
        );
        assert_eq!(proxy_message(r#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(proxy_message("plain text"), "plain text");
    }

    #[test]
    fn a_root_url_is_required() {
        let new = |u: &str| Proxy::new(u, "m".into(), "M", None, Duration::from_secs(1)).err();
        assert!(new("litellm:4000").is_some());
        assert_eq!(
            new("http://litellm:4000/v1").map(|e| e.help),
            Some("use `--proxy http://litellm:4000`".into())
        );
        assert!(new("https://litellm:4000/").is_none());
    }
}
