{{- /* The chart's name, or nameOverride: the app.kubernetes.io/name label. */ -}}
{{- define "sentra-coordinator.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- /*
What every object is called: fullnameOverride, else <release>-<name> (just <release> when the
release name already contains it, e.g. `helm install sentra-coordinator …`). 63 characters at
most, a DNS label's limit.
*/ -}}
{{- define "sentra-coordinator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "sentra-coordinator.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* The pod's ServiceAccount: the chart's own, or serviceAccount.name (an existing one, else "default"). */ -}}
{{- define "sentra-coordinator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "sentra-coordinator.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "sentra-coordinator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sentra-coordinator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sentra
{{- end -}}

{{- define "sentra-coordinator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sentra-coordinator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The HTTP port's scheme: HTTPS unless the API runs plaintext (apiTls.insecure). */}}
{{- define "sentra-coordinator.httpScheme" -}}
{{- if .Values.apiTls.insecure }}HTTP{{ else }}HTTPS{{ end }}
{{- end }}
