{{/*
Labels Helm adds to every resource's metadata (never to pod templates or
selectors, which use exactly the agent's `labels` / `selectorLabels`).
An agent's own `labels` win over these on a key clash.
*/}}
{{- define "agent-fleet.standardLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | toJson }}
app.kubernetes.io/managed-by: {{ .Release.Service | toJson }}
app.kubernetes.io/instance: {{ .Release.Name | toJson }}
{{- end }}

{{/* The shared scripts ConfigMap (templates/scripts.yaml). */}}
{{- define "agent-fleet.scriptsName" -}}
{{- printf "%s-agent-fleet-scripts" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/*
The init container of a profile's agents: installs the profile's pinned npm
packages and the platform CLI into the shared /tools volume. Rendered once per
profile (templates/agents.yaml). Called with the profile.
*/}}
{{- define "agent-fleet.initContainers" -}}
- name: tools-installer
  image: {{ .image | toJson }}
  command: ["/bin/bash", "/etc/gen-agents/scripts/install-tools.sh"]
  env:
    - name: NPM_CONFIG_PREFIX
      value: "/tools"
    - name: GEN_AGENTS_NPM_PACKAGES
      value: {{ .tools.npmPackages | toJson | toJson }}
    - name: GEN_AGENTS_COMMONLY_CLI_REPO
      value: {{ .tools.commonlyCliRepo | toJson }}
    - name: GEN_AGENTS_COMMONLY_CLI_REF
      value: {{ .tools.commonlyCliRef | toJson }}
  volumeMounts:
    - name: tools
      mountPath: /tools
    - name: scripts
      mountPath: "/etc/gen-agents/scripts"
      readOnly: true
{{- end }}

{{/*
A list of Kubernetes EnvVars as block-sequence items, one JSON object each, at
the agent container's env indentation. Rendered once per profile.
*/}}
{{- define "agent-fleet.envItems" -}}
{{- range . }}
            - {{ toJson . }}
{{- end }}
{{- end }}

{{/*
The start of an agent's own variable in its container env, up to its value,
which each agent adds: a literal (`vars`), or the name of the Secret holding a
key (`secretNames`). Rendered once per profile. Called with an ownEnv entry.
*/}}
{{- define "agent-fleet.ownValueHead" }}
            - name: {{ .name | toJson }}
              value:
{{- end }}

{{- define "agent-fleet.ownSecretHead" }}
            - name: {{ .name | toJson }}
              valueFrom:
                secretKeyRef:
                  key: {{ .fromSecret.key | toJson }}
                  optional: {{ .fromSecret.optional | toJson }}
                  name:
{{- end }}
