{{- define "sentra-satellite.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sentra-satellite.id" -}}
{{- .Values.satellite.id | default (printf "%s-%s" .Values.satellite.cloud .Values.satellite.region) -}}
{{- end -}}

{{- define "sentra-satellite.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
sentra.io/satellite: {{ include "sentra-satellite.id" . }}
{{- end -}}

{{- define "sentra-satellite.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
