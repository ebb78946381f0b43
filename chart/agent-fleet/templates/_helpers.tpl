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

{{/*
Consistency checks the Kubernetes API server (not its OpenAPI schema) would
otherwise be the first to catch. Called with (dict "agent" $a "path" $p).
*/}}
{{- define "agent-fleet.checkAgent" -}}
{{- $a := .agent -}}
{{- $p := .path -}}
{{- $runtime := required (printf "%s.runtime is required" $p) $a.runtime -}}
{{- if ne (toJson $runtime) (toJson "codex") -}}
{{- fail (printf "%s.runtime is %s; this chart runs only codex agents" $p (toJson $runtime)) -}}
{{- end -}}
{{- $labels := required (printf "%s.labels is required" $p) $a.labels -}}
{{- $sel := required (printf "%s.selectorLabels is required" $p) $a.selectorLabels -}}
{{- if not $sel -}}
{{- fail (printf "%s.selectorLabels must not be empty (a Deployment needs a selector)" $p) -}}
{{- end -}}
{{- range $k, $v := $sel -}}
{{- if ne (toJson (index $labels $k)) (toJson $v) -}}
{{- fail (printf "%s.selectorLabels.%s=%s is not in %s.labels: the Deployment's selector would not match its pods" $p $k (toJson $v) $p) -}}
{{- end -}}
{{- end -}}
{{- range $e := required (printf "%s.env is required" $p) $a.env -}}
{{- if hasPrefix "GEN_AGENTS_" (toString $e.name) -}}
{{- fail (printf "%s.env: %s clashes with the chart's own GEN_AGENTS_* variables" $p (toJson $e.name)) -}}
{{- end -}}
{{- end -}}
{{- end }}
