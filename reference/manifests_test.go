package reference

// gatewayYAML is a GatewayClass of the reference gateway and a Gateway with
// one HTTP listener.
const gatewayYAML = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: {{.Namespace}}
spec:
  controllerName: xbcheck.dev/reference-gateway
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: {{.Namespace}}
spec:
  gatewayClassName: {{.Namespace}}
  listeners:
  - name: http
    protocol: HTTP
    port: {{.Port}}
`

// caYAML is the CA ConfigMap that caCertificateRefs point at.
const caYAML = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{.CAName}}
  namespace: {{.Namespace}}
data:
  ca.crt: |
    {{.CA}}
`

// xbackendYAML is a ServerOnly XBackend validated against the CA ConfigMap.
const xbackendYAML = `
apiVersion: gateway.networking.x-k8s.io/v1alpha1
kind: XBackend
metadata:
  name: {{.Name}}
  namespace: {{.Namespace}}
spec:
  type: ExternalHostname
  externalHostname:
    hostname: {{.Upstream}}
  port:
    number: {{.UpstreamPort}}
  protocol: HTTP11
  tls:
    mode: ServerOnly
    validation:
      hostname: {{.Upstream}}
      caCertificateRefs:
      - group: ""
        kind: ConfigMap
        name: {{.CAName}}
`

// routeYAML routes requests for Host to the XBackend Name.
const routeYAML = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: {{.Name}}
  namespace: {{.Namespace}}
spec:
  parentRefs:
  - name: gw
  hostnames: ["{{.Host}}"]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /}
    backendRefs:
    - group: gateway.networking.x-k8s.io
      kind: XBackend
      name: {{.Name}}
`
