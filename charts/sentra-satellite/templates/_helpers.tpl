{{- /* The chart's name, or nameOverride: the app.kubernetes.io/name label. */ -}}
{{- define "sentra-satellite.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- /*
What every object is called: fullnameOverride, else <release>-<name> (just <release> when the
release name already contains it, e.g. `helm install sentra-satellite …`). 63 characters at most,
a DNS label's limit.
*/ -}}
{{- define "sentra-satellite.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "sentra-satellite.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "sentra-satellite.id" -}}
{{- .Values.satellite.id | default (printf "%s-%s" .Values.satellite.cloud .Values.satellite.region) -}}
{{- end -}}

{{- define "sentra-satellite.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sentra-satellite.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sentra
sentra.io/satellite: {{ include "sentra-satellite.id" . }}
{{- end -}}

{{- define "sentra-satellite.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sentra-satellite.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- /* The satellite's RBAC rules: one ClusterRole (cluster mode) or a Role per namespace (rbac.namespaced). */ -}}
{{- define "sentra-satellite.rules" -}}
rules:
  - apiGroups: ["apps"]
    resources: ["deployments"]
    verbs: ["get", "list", "watch", "patch", "update"{{ if .Values.releasePolicies.enabled }}, "create"{{ end }}]
  - apiGroups: ["apps"]
    resources: ["deployments/scale"]
    verbs: ["get", "patch", "update"]
  {{- if .Values.releasePolicies.enabled }}
  # Only the verbs the controller uses: it lists policies each pass and merge-patches their status.
  - apiGroups: ["sentra.io"]
    resources: ["releasepolicies"]
    verbs: ["list"]
  - apiGroups: ["sentra.io"]
    resources: ["releasepolicies/status"]
    verbs: ["patch"]
  - apiGroups: [""]
    resources: ["services"]
    verbs: ["get", "create"]
  - apiGroups: [""]
    resources: ["events"]
    verbs: ["create"]
  {{- end }}
  {{- if .Values.routers.gatewayApi }}
  - apiGroups: ["gateway.networking.k8s.io"]
    resources: ["httproutes"]
    verbs: ["get", "list", "watch", "patch", "update"]
  {{- end }}
  {{- if .Values.routers.istio }}
  - apiGroups: ["networking.istio.io"]
    resources: ["virtualservices"]
    verbs: ["get", "list", "watch", "patch", "update"]
  {{- end }}
  {{- if .Values.routers.nginxIngress }}
  - apiGroups: ["networking.k8s.io"]
    resources: ["ingresses"]
    verbs: ["get", "list", "watch", "create", "patch", "update"]
  {{- end }}
{{- end -}}
