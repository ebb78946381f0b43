//! The README's quick start, proved: its exact commands, in their order, against a model of
//! the cluster. The gen-agents commands run for real on `examples/`; `helm upgrade
//! --install` runs as `helm template` through the pinned Helm engine (`.ci/helm.py`);
//! `kubectl create secret generic` and `kubectl apply -f` are modelled (a Secret with those
//! keys; those objects, merged as client-side apply does, immutable ConfigMaps refused a
//! change). Then `.ci/refs_check.py` checks that every rendered pod finds every ConfigMap
//! (holding the data its `checksum/config` names), required Secret key and PVC among
//! everything those commands created.
//!
//! Also here: a rollback keeps finding its ConfigMap version, and Secret stubs cannot erase
//! a filled Secret. Each of the old design's three hazards has a test that catches it.
//!
//! Helm's engine is installed by `.ci/install-tools.sh`. The Helm tests are `#[ignore]`d for
//! a bare `cargo test`; `.ci/test` runs them with `--include-ignored`, and then a missing
//! engine fails them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Map, Value};

const BEGIN: &str = "<!-- quickstart:begin -->";
const END: &str = "<!-- quickstart:end -->";
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    let tools = std::env::var_os("GEN_AGENTS_TOOLS").map_or_else(
        || PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/gen-agents-tools"),
        PathBuf::from,
    );
    tools.join("venv/bin/python")
}

const NEEDS_HELM: &str = "needs the pinned consumer tools: bash .ci/install-tools.sh";

/// Helm's engine must be there: these tests are `#[ignore]`d without it, and a run that
/// includes them (`.ci/test`) must not pass without it.
fn require_helm() {
    assert!(
        python().is_file(),
        "Helm's engine is not installed in {}: {NEEDS_HELM}",
        python().display()
    );
}

/// The quick start's commands: the one `sh` block between the markers, continuation lines
/// joined, comments dropped, each command split into words.
fn readme_quickstart() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find(BEGIN)
        .expect("README has no quick start begin marker");
    let end = readme
        .find(END)
        .expect("README has no quick start end marker");
    let block = &readme[start + BEGIN.len()..end];
    let body = block
        .trim()
        .strip_prefix("```sh\n")
        .and_then(|b| b.strip_suffix("```"))
        .expect("the quick start is one ```sh block");
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in body.lines() {
        let line = match line.find(" #") {
            Some(i) => &line[..i],
            None if line.trim_start().starts_with('#') => "",
            None => line,
        };
        match line.trim_end().strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                let words: Vec<String> = current.split_whitespace().map(str::to_owned).collect();
                if !words.is_empty() {
                    commands.push(words);
                }
                current.clear();
            }
        }
    }
    assert!(
        current.trim().is_empty(),
        "a continuation line ends the quick start"
    );
    commands
}

fn words(cmd: &str) -> Vec<String> {
    cmd.split_whitespace().map(str::to_owned).collect()
}

fn read_yaml(text: &str) -> Vec<Value> {
    let file: std::sync::Arc<str> = std::sync::Arc::from("yaml");
    let mut d = gen_agents::diag::Diagnostics::default();
    let docs = gen_agents::load::yaml::read_documents(&file, text, &mut d);
    assert!(!d.has_errors(), "{d:?}");
    docs.into_iter()
        .map(|d| d.root.into_json())
        .filter(Value::is_object)
        .collect()
}

/// Where the commands run: a scratch directory with the repository's `examples/` and
/// `chart/` in it, as in a clone.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["examples", "chart"] {
            std::os::unix::fs::symlink(root().join(d), dir.path().join(d)).expect("symlink");
        }
        Sandbox { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn read(&self, p: &str) -> String {
        std::fs::read_to_string(self.path(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
    }
}

/// The objects in the cluster by (kind, name), each as the API server would store it.
#[derive(Default)]
struct Cluster {
    objects: BTreeMap<(String, String), Value>,
}

fn key_of(obj: &Value) -> (String, String) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    (s(&obj["kind"]), s(&obj["metadata"]["name"]))
}

impl Cluster {
    /// `kubectl create secret generic NAME --from-literal=K=V...`: a Secret with those
    /// keys, refused when one of that name exists (no last-applied annotation).
    fn create_secret(&mut self, args: &[String]) -> Result<(), String> {
        let (name, literals) = args.split_first().ok_or("no Secret name")?;
        let mut data = Map::new();
        for lit in literals {
            let kv = lit
                .strip_prefix("--from-literal=")
                .ok_or_else(|| format!("unmodelled option {lit}"))?;
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("bad literal {lit}"))?;
            data.insert(k.to_owned(), json!(v));
        }
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
                            "type": "Opaque", "data": data});
        let key = key_of(&secret);
        if self.objects.contains_key(&key) {
            return Err(format!("secrets \"{name}\" already exists"));
        }
        self.objects.insert(key, secret);
        Ok(())
    }

    /// `kubectl apply -f` of one object, client-side: the three-way merge of the last
    /// applied configuration, the new one and the live object (fields the last one had and
    /// the new one lacks are deleted; fields it does not name are kept), then what the API
    /// server does on a write (`stringData` folded into `data`; an immutable ConfigMap's
    /// data may not change).
    fn apply(&mut self, modified: &Value) -> Result<(), String> {
        let key = key_of(modified);
        let mut live = match self.objects.get(&key) {
            None => modified.clone(),
            Some(live) => {
                let original = live["metadata"]["annotations"][LAST_APPLIED]
                    .as_str()
                    .map(|s| serde_json::from_str::<Value>(s).expect("last-applied is JSON"));
                let patch = three_way_patch(original.as_ref(), modified, live);
                let mut next = live.clone();
                merge_patch(&mut next, &patch);
                next
            }
        };
        if let Some(Value::Object(sd)) = live.as_object_mut().and_then(|o| o.remove("stringData")) {
            let data = live
                .as_object_mut()
                .ok_or("not an object")?
                .entry("data")
                .or_insert_with(|| json!({}));
            data.as_object_mut().ok_or("data is not a map")?.extend(sd);
        }
        if let Some(old) = self.objects.get(&key) {
            if old["immutable"] == json!(true) && old["data"] != live["data"] {
                return Err(format!("{} {:?}: field is immutable", key.0, key.1));
            }
        }
        let annotations = live["metadata"]
            .as_object_mut()
            .ok_or("no metadata")?
            .entry("annotations")
            .or_insert_with(|| json!({}));
        annotations[LAST_APPLIED] = json!(modified.to_string());
        self.objects.insert(key, live);
        Ok(())
    }

    fn apply_file(&mut self, text: &str) -> Result<(), String> {
        read_yaml(text).iter().try_for_each(|o| self.apply(o))
    }

    /// What a release (or a rollback to it) leaves: the objects of its manifests.
    fn release(&mut self, manifests: &str) {
        for o in read_yaml(manifests) {
            self.objects.insert(key_of(&o), o);
        }
    }

    fn secret_data(&self, name: &str) -> Value {
        self.objects[&("Secret".to_owned(), name.to_owned())]["data"].clone()
    }

    /// `.ci/refs_check.py` over everything in the cluster: (passed, its output).
    fn refs_check(&self) -> (bool, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let all = dir.path().join("cluster.yaml");
        let text: String = self
            .objects
            .values()
            .map(|o| format!("---\n{o}\n"))
            .collect();
        std::fs::write(&all, text).expect("write cluster");
        let o = Command::new(python())
            .arg(root().join(".ci/refs_check.py"))
            .args([&all, &all, &all])
            .output()
            .expect("run refs_check.py");
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        (o.status.success() && out.contains("PASS kubelet refs"), out)
    }
}

fn three_way_patch(original: Option<&Value>, modified: &Value, live: &Value) -> Value {
    let mut patch = Map::new();
    for (k, m) in modified.as_object().into_iter().flatten() {
        let l = live.get(k);
        match (m, l) {
            (Value::Object(_), Some(l @ Value::Object(_))) => {
                let sub = three_way_patch(original.and_then(|o| o.get(k)), m, l);
                if sub.as_object().is_some_and(|s| !s.is_empty()) {
                    patch.insert(k.clone(), sub);
                }
            }
            _ if Some(m) != l => {
                patch.insert(k.clone(), m.clone());
            }
            _ => {}
        }
    }
    for k in original
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if modified.get(k).is_none() {
            patch.insert(k.clone(), Value::Null);
        }
    }
    Value::Object(patch)
}

/// RFC 7386 merge patch: `null` deletes, maps merge, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Some(p) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Some(t) = target.as_object_mut() {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// Runs `commands` in `sandbox` against `cluster`: gen-agents for real, Helm through its
/// engine, kubectl modelled. Any other command is an error, so the README cannot grow a
/// step this proof does not model.
fn run(sandbox: &Sandbox, cluster: &mut Cluster, commands: &[Vec<String>]) -> Result<(), String> {
    for cmd in commands {
        let line = cmd.join(" ");
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        match args.as_slice() {
            // The binary under test stands in for the installed one.
            ["cargo", "install", "--locked", "--path", "."] => {}
            ["gen-agents", rest @ ..] => {
                let o = Command::new(env!("CARGO_BIN_EXE_gen-agents"))
                    .current_dir(sandbox.dir.path())
                    .args(rest)
                    .output()
                    .map_err(|e| format!("{line}: {e}"))?;
                if !o.status.success() {
                    return Err(format!("{line}: {}", String::from_utf8_lossy(&o.stderr)));
                }
            }
            ["kubectl", "create", "secret", "generic", ..] => cluster
                .create_secret(&cmd[4..])
                .map_err(|e| format!("{line}: {e}"))?,
            ["kubectl", "apply", "-f", file] => cluster
                .apply_file(&sandbox.read(file))
                .map_err(|e| format!("{line}: {e}"))?,
            ["helm", "upgrade", "--install", release, chart, "-f", values] => {
                let manifests = helm_template(sandbox, release, chart, values)?;
                cluster.release(&manifests);
            }
            _ => {
                return Err(format!(
                    "the quick start has a step this test does not model: {line}"
                ))
            }
        }
    }
    Ok(())
}

fn helm_template(
    sandbox: &Sandbox,
    release: &str,
    chart: &str,
    values: &str,
) -> Result<String, String> {
    let o = Command::new(python())
        .current_dir(sandbox.dir.path())
        .arg(root().join(".ci/helm.py"))
        .args(["template", release, chart, "-f", values])
        .output()
        .map_err(|e| format!("helm.py: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "helm template: {}",
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    String::from_utf8(o.stdout).map_err(|e| e.to_string())
}

/// The Secrets that some pod cannot start without, created as their stubs say.
fn create_required_secrets(sandbox: &Sandbox, secrets: &str) -> Vec<Vec<String>> {
    read_yaml(&sandbox.read(secrets))
        .iter()
        .filter(|s| s["metadata"]["annotations"]["gen-agents.dev/optional"] == "false")
        .map(|s| {
            words(
                s["metadata"]["annotations"]["gen-agents.dev/create-command"]
                    .as_str()
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs the pinned consumer tools: bash .ci/install-tools.sh"]
fn the_readme_quickstart_leaves_no_pod_without_its_objects() {
    let commands = readme_quickstart();
    assert!(
        commands.iter().any(|c| c.starts_with(&words("kubectl apply -f")) && c[3].ends_with("configmaps.yaml")),
        "the quick start applies the ConfigMaps: {commands:?}"
    );
    let helm_at = commands
        .iter()
        .position(|c| c.starts_with(&words("helm upgrade --install")));
    let cms_at = commands.iter().position(|c| {
        c.len() == 4 && c[..3] == words("kubectl apply -f") && c[3].ends_with("configmaps.yaml")
    });
    assert!(
        cms_at < helm_at && helm_at.is_some(),
        "ConfigMaps before the release: {commands:?}"
    );
    require_helm();
    let sandbox = Sandbox::new();
    let mut cluster = Cluster::default();
    run(&sandbox, &mut cluster, &commands).unwrap_or_else(|e| panic!("{e}"));
    let (ok, out) = cluster.refs_check();
    assert!(ok, "{out}");
    // The README's Secret commands are the stubs' own, so the two cannot drift apart.
    let out_dir = commands
        .iter()
        .find_map(|c| {
            c.iter()
                .position(|w| w == "--out-dir")
                .map(|i| c[i + 1].clone())
        })
        .expect("the quick start renders with --out-dir");
    let created: Vec<Vec<String>> = commands
        .iter()
        .filter(|c| c.starts_with(&words("kubectl create secret generic")))
        .cloned()
        .collect();
    for required in create_required_secrets(&sandbox, &format!("{out_dir}/secrets.yaml")) {
        assert!(
            created.contains(&required),
            "the quick start does not run {required:?}"
        );
    }
    let stubs = read_yaml(&sandbox.read(&format!("{out_dir}/secrets.yaml")));
    for c in &created {
        assert!(
            stubs.iter().any(|s| words(
                s["metadata"]["annotations"]["gen-agents.dev/create-command"]
                    .as_str()
                    .unwrap_or_default()
            ) == *c),
            "{c:?} is no stub's create-command"
        );
    }
}

/// The old design: `gen-agents render | helm upgrade --install` and nothing else. Even
/// with every Secret created, the pods mount a ConfigMap nothing made.
#[test]
#[ignore = "needs the pinned consumer tools: bash .ci/install-tools.sh"]
fn the_old_readme_pipe_leaves_pods_without_their_configmap() {
    require_helm();
    let sandbox = Sandbox::new();
    let mut cluster = Cluster::default();
    let render = vec![words("gen-agents render examples/ --out-dir deploy")];
    run(&sandbox, &mut cluster, &render).unwrap_or_else(|e| panic!("{e}"));
    let mut rest = create_required_secrets(&sandbox, "deploy/secrets.yaml");
    rest.push(words(
        "helm upgrade --install fleet chart/agent-fleet -f deploy/values.yaml",
    ));
    run(&sandbox, &mut cluster, &rest).unwrap_or_else(|e| panic!("{e}"));
    let (ok, out) = cluster.refs_check();
    assert!(!ok, "{out}");
    assert!(
        out.contains(
            "FAIL kubelet refs: cloud-codex-reviewer: ConfigMap 'cloud-codex-reviewer-config-"
        ),
        "{out}"
    );
}

/// Renders `examples/` into `v1`, then with the reviewer's model changed into `v2`, and
/// creates the required Secrets.
fn two_versions(sandbox: &Sandbox, cluster: &mut Cluster) {
    let agents = sandbox.path("agents");
    std::fs::create_dir(&agents).expect("mkdir agents");
    for e in std::fs::read_dir(root().join("examples")).expect("examples") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), agents.join(e.file_name())).expect("copy");
    }
    let reviewer = agents.join("reviewer.yaml");
    let text = std::fs::read_to_string(&reviewer).expect("reviewer.yaml");
    assert!(text.contains("model: codex-cli/gpt-5.4\n"));
    std::fs::write(
        &reviewer,
        text.replace("model: codex-cli/gpt-5.4\n", "model: codex-cli/gpt-5.5\n"),
    )
    .expect("write reviewer.yaml");
    let render = [
        words("gen-agents render examples/ --out-dir v1"),
        words("gen-agents render agents/ --out-dir v2"),
    ];
    run(sandbox, cluster, &render).unwrap_or_else(|e| panic!("{e}"));
    let secrets = create_required_secrets(sandbox, "v1/secrets.yaml");
    run(sandbox, cluster, &secrets).unwrap_or_else(|e| panic!("{e}"));
}

fn config_map_of(values: &str, agent: &str) -> String {
    read_yaml(values)[0]["agents"][agent]["runtimeConfig"]["configMap"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Deploy v1, then v2, then `helm rollback` (the release with v1's values again): the
/// rolled-back pods mount v1's ConfigMap, which is still there, holding v1's data.
fn deploy_and_roll_back(sandbox: &Sandbox, cluster: &mut Cluster) -> Result<(), String> {
    let steps = [
        "kubectl apply -f v1/configmaps.yaml",
        "helm upgrade --install fleet chart/agent-fleet -f v1/values.yaml",
        "kubectl apply -f v2/configmaps.yaml",
        "helm upgrade --install fleet chart/agent-fleet -f v2/values.yaml",
    ];
    run(sandbox, cluster, &steps.map(words))?;
    cluster.release(&helm_template(
        sandbox,
        "fleet",
        "chart/agent-fleet",
        "v1/values.yaml",
    )?);
    Ok(())
}

#[test]
#[ignore = "needs the pinned consumer tools: bash .ci/install-tools.sh"]
fn a_rollback_finds_the_configmap_version_its_pods_were_made_with() {
    require_helm();
    let sandbox = Sandbox::new();
    let mut cluster = Cluster::default();
    two_versions(&sandbox, &mut cluster);
    let (v1, v2) = (
        sandbox.read("v1/values.yaml"),
        sandbox.read("v2/values.yaml"),
    );
    assert_ne!(
        config_map_of(&v1, "reviewer"),
        config_map_of(&v2, "reviewer"),
        "a changed config is a new ConfigMap"
    );
    assert_eq!(
        config_map_of(&v1, "cody"),
        config_map_of(&v2, "cody"),
        "an unchanged one keeps its name"
    );
    deploy_and_roll_back(&sandbox, &mut cluster).unwrap_or_else(|e| panic!("{e}"));
    let (ok, out) = cluster.refs_check();
    assert!(ok, "{out}");
    // Applying both sets again changes nothing: every version is immutable and still there.
    run(
        &sandbox,
        &mut cluster,
        &[
            words("kubectl apply -f v1/configmaps.yaml"),
            words("kubectl apply -f v2/configmaps.yaml"),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

/// The old design: one mutable `<prefix>-<name>-config` per agent. After v2 is applied,
/// the rolled-back reviewer pod mounts v2's config under v1's checksum.
#[test]
#[ignore = "needs the pinned consumer tools: bash .ci/install-tools.sh"]
fn the_old_unversioned_configmap_breaks_a_rollback() {
    require_helm();
    let sandbox = Sandbox::new();
    let mut cluster = Cluster::default();
    two_versions(&sandbox, &mut cluster);
    for v in ["v1", "v2"] {
        for f in ["values.yaml", "configmaps.yaml"] {
            let path = sandbox.path(&format!("{v}/{f}"));
            let text = std::fs::read_to_string(&path).expect("read");
            std::fs::write(&path, unversioned(&text).replace("immutable: true\n", ""))
                .expect("write");
        }
    }
    assert_eq!(
        config_map_of(&sandbox.read("v1/values.yaml"), "reviewer"),
        "cloud-codex-reviewer-config"
    );
    deploy_and_roll_back(&sandbox, &mut cluster).unwrap_or_else(|e| panic!("{e}"));
    let (ok, out) = cluster.refs_check();
    assert!(!ok, "{out}");
    assert!(out.contains("FAIL kubelet refs: cloud-codex-reviewer: ConfigMap 'cloud-codex-reviewer-config' holds data"), "{out}");
}

/// `-config-<10 hex>` → `-config`: the names of the old design.
fn unversioned(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("-config-") {
        let (head, tail) = rest.split_at(i + "-config".len());
        out.push_str(head);
        let hex = &tail[1..];
        let n = hex.bytes().take_while(u8::is_ascii_hexdigit).count();
        rest = if n == gen_agents::render::model::NAME_HASH_LEN {
            &hex[n..]
        } else {
            tail
        };
    }
    out.push_str(rest);
    out
}

/// An immutable ConfigMap version is never rewritten: applying other data under its name is
/// refused (the model's immutability, which the rollback tests rely on).
#[test]
fn the_model_refuses_a_change_to_an_immutable_configmap() {
    let cm = |v: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "immutable": true, "data": {"k": v}});
    let mut cluster = Cluster::default();
    cluster.apply(&cm("1")).expect("create");
    cluster.apply(&cm("1")).expect("same data");
    assert!(cluster.apply(&cm("2")).unwrap_err().contains("immutable"));
}

fn render_examples_stubs() -> Vec<Value> {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Command::new(env!("CARGO_BIN_EXE_gen-agents"))
        .current_dir(root())
        .args(["render", "examples/", "--out-dir"])
        .arg(dir.path())
        .output()
        .expect("gen-agents");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    read_yaml(&std::fs::read_to_string(dir.path().join("secrets.yaml")).expect("secrets.yaml"))
}

#[test]
fn secret_stubs_carry_no_data_and_say_how_to_create_each_secret() {
    let stubs = render_examples_stubs();
    assert!(stubs.len() > 5);
    for s in &stubs {
        for field in ["data", "stringData", "binaryData"] {
            assert!(s.get(field).is_none(), "a stub has {field}: {s}");
        }
        let notes = &s["metadata"]["annotations"];
        let name = s["metadata"]["name"].as_str().unwrap_or_default();
        let list = |k: &str| -> Vec<String> {
            notes[k]
                .as_str()
                .unwrap_or_default()
                .split(',')
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let (required, optional) = (
            list("gen-agents.dev/required-keys"),
            list("gen-agents.dev/optional-keys"),
        );
        let mut keys = [required.clone(), optional].concat();
        keys.sort();
        assert!(!keys.is_empty(), "{s}");
        assert_eq!(
            notes["gen-agents.dev/optional"] == "true",
            required.is_empty(),
            "{s}"
        );
        let literals: String = keys
            .iter()
            .map(|k| format!(" --from-literal={k}=<{k}>"))
            .collect();
        assert_eq!(
            notes["gen-agents.dev/create-command"],
            format!("kubectl create secret generic {name}{literals}")
        );
        let how = notes["gen-agents.dev/how-to-fill"]
            .as_str()
            .unwrap_or_default();
        for k in &keys {
            assert!(
                how.contains(&format!("{k} (")),
                "how-to-fill names {k}: {how}"
            );
        }
    }
}

fn token_stub(stub: &[Value]) -> Value {
    stub.iter()
        .find(|s| s["metadata"]["name"] == "cloud-codex-cody-token")
        .cloned()
        .expect("cody's token stub")
}

#[test]
fn applying_the_stubs_over_filled_secrets_keeps_their_values() {
    let stubs = render_examples_stubs();
    let mut cluster = Cluster::default();
    cluster
        .create_secret(&words(
            "cloud-codex-cody-token --from-literal=token=cm_agent_live",
        ))
        .expect("create");
    for _ in 0..2 {
        for s in &stubs {
            cluster.apply(s).expect("apply stub");
        }
        assert_eq!(
            cluster.secret_data("cloud-codex-cody-token"),
            json!({"token": "cm_agent_live"})
        );
    }
    let live = &cluster.objects[&("Secret".to_owned(), "cloud-codex-cody-token".to_owned())];
    assert_eq!(
        live["metadata"]["annotations"]["gen-agents.dev/required-keys"], "token",
        "the stub's annotations arrive"
    );
}

/// A Secret first made from an old stub (empty `stringData` values, so last-applied names
/// the key) and filled afterwards: the new stub no longer names the key, so the merge
/// deletes `stringData`, a write-only field the live object does not have; `data` stays.
/// The old stub, applied again, erases the value: the hazard this design removes.
#[test]
fn a_secret_made_from_an_old_stub_keeps_its_value_and_the_old_stub_would_erase_it() {
    let stub = token_stub(&render_examples_stubs());
    let mut old = stub.clone();
    old["stringData"] = json!({"token": ""});
    let fill = |cluster: &mut Cluster| {
        let key = ("Secret".to_owned(), "cloud-codex-cody-token".to_owned());
        if let Some(live) = cluster.objects.get_mut(&key) {
            live["data"]["token"] = json!("cm_agent_live"); // kubectl edit / a secret manager
        }
    };
    let mut cluster = Cluster::default();
    cluster.apply(&old).expect("old stub");
    fill(&mut cluster);
    cluster.apply(&stub).expect("new stub");
    assert_eq!(
        cluster.secret_data("cloud-codex-cody-token"),
        json!({"token": "cm_agent_live"})
    );

    let mut cluster = Cluster::default();
    cluster
        .create_secret(&words(
            "cloud-codex-cody-token --from-literal=token=cm_agent_live",
        ))
        .expect("create");
    cluster.apply(&old).expect("old stub");
    assert_eq!(
        cluster.secret_data("cloud-codex-cody-token"),
        json!({"token": ""}),
        "the old stub erased the value"
    );
}
