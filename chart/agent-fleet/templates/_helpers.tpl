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
Consistency checks the Kubernetes API server (not its OpenAPI schema) would
otherwise be the first to catch. values.schema.json already checks every
field's presence and type, and that no env name takes the chart's
GEN_AGENTS_ prefix. Called with (dict "agent" $a "path" $p).
*/}}
{{- define "agent-fleet.checkAgent" -}}
{{- $a := .agent -}}
{{- $p := .path -}}
{{- range $k, $v := $a.selectorLabels -}}
{{- if ne (toJson (index $a.labels $k)) (toJson $v) -}}
{{- fail (printf "%s.selectorLabels.%s=%s is not in %s.labels: the Deployment's selector would not match its pods" $p $k (toJson $v) $p) -}}
{{- end -}}
{{- end -}}
{{- end }}
