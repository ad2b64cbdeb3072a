declare module 'parse-prometheus-text-format' {
  /** Parses Prometheus text exposition into prom2json's shape (values as strings). */
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
