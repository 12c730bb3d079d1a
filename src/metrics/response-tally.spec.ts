import { Registry } from 'prom-client';
import { LATENCY_BUCKETS, ResponseTally } from './response-tally';

describe(ResponseTally.name, () => {
  const bucket = (values: ReturnType<ResponseTally['latencyValues']>, labels: Record<string, string>, le: number | string) =>
    values.find((v) => v.metricName.endsWith('_bucket') && v.labels.le === le && Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;

  it('keeps cumulative buckets, sum and count per route, method and status class', () => {
    const sut = new ResponseTally();
    sut.record('/verify', 'GET', 204, 0.0004);
    sut.record('/verify', 'GET', 204, 0.003);
    sut.record('/verify', 'GET', 200, 0.2);
    sut.record('/verify', 'GET', 401, 9);
    const values = sut.latencyValues();
    const ok = { route: '/verify', method: 'GET', status_class: '2xx' };
    expect(bucket(values, ok, 0.0005)).toBe(1);
    expect(bucket(values, ok, 0.005)).toBe(2);
    expect(bucket(values, ok, 0.1)).toBe(2);
    expect(bucket(values, ok, 0.25)).toBe(3);
    expect(bucket(values, ok, '+Inf')).toBe(3);
    expect(values.find((v) => v.metricName.endsWith('_count') && v.labels.status_class === '2xx')?.value).toBe(3);
    expect(values.find((v) => v.metricName.endsWith('_sum') && v.labels.status_class === '2xx')?.value).toBeCloseTo(0.2034);
    // Past the last bound an observation counts in +Inf only.
    const refused = { route: '/verify', method: 'GET', status_class: '4xx' };
    expect(bucket(values, refused, LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1])).toBe(0);
    expect(bucket(values, refused, '+Inf')).toBe(1);
  });

  it('counts through a recorder into the same row as record()', async () => {
    const sut = new ResponseTally();
    const registry = new Registry();
    sut.register(registry);
    const jwks = sut.recorder('/.well-known/jwks.json', 'GET', 200);
    jwks(0.0001);
    jwks(0.0002);
    sut.record('/.well-known/jwks.json', 'GET', 200, 0.0003);
    const text = await registry.metrics();
    expect(text).toContain('tessera_http_requests_total{route="/.well-known/jwks.json",method="GET",status="200"} 3');
    expect(text).toContain('tessera_http_request_duration_seconds_bucket{route="/.well-known/jwks.json",method="GET",status_class="2xx",le="0.0005"} 3');
  });

  it('exports both families in the Prometheus text format through a registry', async () => {
    const sut = new ResponseTally();
    const registry = new Registry();
    sut.register(registry);
    sut.record('/token', 'POST', 200, 0.02);
    sut.record('/token', 'POST', 200, 0.03);
    sut.record('/token', 'POST', 400, 0.001);
    const text = await registry.metrics();
    expect(text).toContain('tessera_http_requests_total{route="/token",method="POST",status="200"} 2');
    expect(text).toContain('tessera_http_requests_total{route="/token",method="POST",status="400"} 1');
    expect(text).toContain('# TYPE tessera_http_request_duration_seconds histogram');
    expect(text).toContain('tessera_http_request_duration_seconds_bucket{route="/token",method="POST",status_class="2xx",le="0.025"} 1');
    expect(text).toContain('tessera_http_request_duration_seconds_bucket{route="/token",method="POST",status_class="2xx",le="+Inf"} 2');
    expect(text).toContain('tessera_http_request_duration_seconds_count{route="/token",method="POST",status_class="4xx"} 1');
    // A second scrape reads the same totals, not twice them.
    expect(await registry.metrics()).toContain('tessera_http_requests_total{route="/token",method="POST",status="200"} 2');
  });
});
