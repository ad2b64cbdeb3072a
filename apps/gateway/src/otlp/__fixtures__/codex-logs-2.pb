
€
‰
 
telemetry.sdk.language
rust
%
telemetry.sdk.name
opentelemetry

	host.name
vm
!
telemetry.sdk.version
0.31.0

service.version	
0.171.0

tollgate.client
acme

env
dev

service.name

codex_execr

codex_otel::metrics::clientQDEBUG*
flushing OTEL metricsY*Mù◊»Ìb$event otel/src/metrics/client.rs:330