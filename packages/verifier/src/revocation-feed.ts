import { fetchJson, HttpStatusError } from './http';
import type { ResolvedOptions } from './options';
import { RevocationState, type FeedAnswer } from './revocation-state';

/** Pruning walks every entry; once a minute is plenty for entries that live an hour. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Polls GET <issuer>/revocations (contract 2.7) with the previous answer's cursor and ETag, one
 * poll at a time, and merges each answer into a RevocationState. A failed poll keeps the state
 * as it was: a verifier cut off from Tessera goes on refusing what it knew to refuse.
 */
export class RevocationFeed {
  readonly state: RevocationState;
  private cursor: string | null = null;
  private etag: string | null = null;
  private loadedAt: number | null = null;
  private prunedAt = 0;
  private attemptedAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> | null = null;
  private closed = false;
  private readonly authorization: string;
  error: string | null = null;

  constructor(
    private readonly o: ResolvedOptions,
    credentials: { readonly clientId: string; readonly clientSecret: string },
  ) {
    this.state = new RevocationState(o.leewaySeconds);
    // RFC 6749 §2.3.1: form-urlencode id and secret before Basic.
    const pair = `${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`;
    this.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }

  get ageMs(): number | null {
    return this.loadedAt === null ? null : Date.now() - this.loadedAt;
  }

  get loaded(): boolean {
    return this.loadedAt !== null;
  }

  start(): void {
    if (!this.timer && !this.inflight && !this.closed) void this.poll();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Whether any answer has come, after waiting for the poll in flight, or polling now when none
   * ran in the last second (so requests arriving while the service is down do not each poll).
   */
  async settle(): Promise<boolean> {
    if (this.loaded) return true;
    if (this.inflight) await this.inflight;
    else if (Date.now() - this.attemptedAt >= 1000) await this.poll();
    return this.loaded;
  }

  /** The poll in progress, or a new one; never rejects. */
  poll(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.inflight ??= this.pollOnce().finally(() => {
      this.inflight = null;
      if (this.closed) return;
      this.timer = setTimeout(() => void this.poll(), this.o.pollIntervalMs);
      // The middleware must never be what keeps a process alive.
      this.timer.unref();
    });
    return this.inflight;
  }

  private async pollOnce(): Promise<void> {
    this.attemptedAt = Date.now();
    const url = this.cursor === null ? this.o.feedUrl : `${this.o.feedUrl}?since=${encodeURIComponent(this.cursor)}`;
    const headers: Record<string, string> = { authorization: this.authorization };
    if (this.etag) headers['if-none-match'] = this.etag;
    try {
      const res = await fetchJson(this.o, url, headers);
      if (res.status === 200) {
        const answer = checkAnswer(res.body);
        this.state.apply(answer);
        this.cursor = answer.cursor;
        this.etag = res.etag;
      }
      this.loadedAt = Date.now();
      this.error = null;
      if (this.loadedAt - this.prunedAt >= PRUNE_EVERY_MS) {
        this.state.prune(Math.floor(this.loadedAt / 1000));
        this.prunedAt = this.loadedAt;
      }
    } catch (err) {
      // 400 is a cursor the service no longer knows (say, a restored database): start over.
      if (err instanceof HttpStatusError && err.status === 400) {
        this.cursor = null;
        this.etag = null;
      }
      this.error = `feed: ${(err as Error).message}`;
      this.o.onEvent({ type: 'fetch_failed', source: 'feed', detail: this.error });
    }
  }
}

/** The answer's shape, checked once so the per-request checks can trust it. */
function checkAnswer(body: unknown): FeedAnswer {
  const a = body as FeedAnswer;
  const ok =
    typeof a?.cursor === 'string' &&
    Array.isArray(a.jtis) &&
    a.jtis.every((e) => typeof e?.jti === 'string' && typeof e.exp === 'number') &&
    Array.isArray(a.not_before) &&
    a.not_before.every((e) => typeof e?.tenant_id === 'string' && (e.sub === null || typeof e.sub === 'string') && typeof e.nbf === 'number') &&
    Array.isArray(a.revoked_kids) &&
    a.revoked_kids.every((k) => typeof k === 'string');
  if (!ok) throw new Error('not a revocation feed answer');
  return a;
}
