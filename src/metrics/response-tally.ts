import { Counter, type Registry } from 'prom-client';

const LATENCY = 'tessera_http_request_duration_seconds';
export const LATENCY_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface ExportedValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName: string;
}

interface Row {
  readonly route: string;
  readonly method: string;
  readonly status: number;
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); past the last bound they count only in `count`. */
  readonly buckets: Float64Array;
}

/**
 * Responses by route, method and status, with their latencies, counted in plain numbers and
 * turned into Prometheus families only when scraped. prom-client hashes the label set of every
 * observation; on the hottest routes (/verify, the JWKS) that was most of what metrics cost
 * per request, and a scrape every few seconds can afford it instead.
 */
function observe(row: Row, seconds: number): void {
  row.count++;
  row.sum += seconds;
  for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
    if (seconds <= LATENCY_BUCKETS[i]) {
      row.buckets[i]++;
      break;
    }
  }
}

export class ResponseTally {
  private readonly rows = new Map<string, Row>();

  record(route: string, method: string, status: number, seconds: number): void {
    observe(this.row(route, method, status), seconds);
  }

  /** record() for one route, method and status, with its row found once instead of per response. */
  recorder(route: string, method: string, status: number): (seconds: number) => void {
    const row = this.row(route, method, status);
    return (seconds) => observe(row, seconds);
  }

  private row(route: string, method: string, status: number): Row {
    const key = `${route} ${method} ${status}`;
    let row = this.rows.get(key);
    if (row === undefined) {
      row = { route, method, status, count: 0, sum: 0, buckets: new Float64Array(LATENCY_BUCKETS.length) };
      this.rows.set(key, row);
    }
    return row;
  }


  /** tessera_http_requests_total and the latency histogram, read from the tally at each scrape. */
  register(registry: Registry): void {
    const rows = this.rows;
    new Counter({
      name: 'tessera_http_requests_total',
      help: 'HTTP responses by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of rows.values()) this.inc({ route: r.route, method: r.method, status: r.status }, r.count);
      },
    });
    const help = 'Time from request to response, by route, method and status class.';
    // The registry asks a metric only for its name and get(): the exported shape below.
    registry.registerMetric({
      name: LATENCY,
      help,
      type: 'histogram',
      get: async () => ({ name: LATENCY, help, type: 'histogram', aggregator: 'sum', values: this.latencyValues() }),
    } as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The histogram in prom-client's exported shape: cumulative buckets, then sum and count. */
  latencyValues(): ExportedValue[] {
    const groups = new Map<string, { labels: Record<string, string>; count: number; sum: number; buckets: number[] }>();
    for (const r of this.rows.values()) {
      const statusClass = `${Math.floor(r.status / 100)}xx`;
      const key = `${r.route} ${r.method} ${statusClass}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { labels: { route: r.route, method: r.method, status_class: statusClass }, count: 0, sum: 0, buckets: LATENCY_BUCKETS.map(() => 0) }));
      g.count += r.count;
      g.sum += r.sum;
      r.buckets.forEach((n, i) => (g.buckets[i] += n));
    }
    const values: ExportedValue[] = [];
    for (const g of groups.values()) {
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += g.buckets[i];
        values.push({ labels: { ...g.labels, le }, value: cumulative, metricName: `${LATENCY}_bucket` });
      });
      values.push({ labels: { ...g.labels, le: '+Inf' }, value: g.count, metricName: `${LATENCY}_bucket` });
      values.push({ labels: g.labels, value: g.sum, metricName: `${LATENCY}_sum` });
      values.push({ labels: g.labels, value: g.count, metricName: `${LATENCY}_count` });
    }
    return values;
  }
}
