import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../common/crypto';

/** What the console keeps for one browser login. The browser holds only the session id. */
export interface ConsoleSession {
  readonly idHash: string;
  readonly csrf: string;
  readonly clientId: string;
  accessToken: string;
  accessExp: number;
  refreshToken: string;
  /** Epoch ms of the last request; the session ends after IDLE_MS without one. */
  seenAt: number;
  /** The refresh in flight: concurrent requests of the session share it (a second use of the same refresh token would be reuse). */
  refreshing?: Promise<boolean>;
  /** A secret to show once on the next page (a new API key, a client secret), then forget. */
  flash?: { kind: 'success' | 'error' | 'secret'; text: string; secret?: string; label?: string };
}

const IDLE_MS = 8 * 3600_000;
const MAX_SESSIONS = 10_000;

/**
 * Console sessions, server-side and in this process: the access and refresh tokens never
 * reach the browser. Looked up by the SHA-256 of the cookie's value, so a heap dump or log of
 * the map does not hand out live cookies. A restart ends every console session (the operator
 * logs in again); several instances need sticky sessions for the console.
 */
@Injectable()
export class ConsoleSessionStore {
  private readonly sessions = new Map<string, ConsoleSession>();

  create(tokens: { clientId: string; accessToken: string; accessExp: number; refreshToken: string }): { cookie: string; session: ConsoleSession } {
    this.sweep();
    const cookie = randomBytes(32).toString('base64url');
    const session: ConsoleSession = { idHash: sha256(cookie).toString('hex'), csrf: randomBytes(32).toString('base64url'), seenAt: Date.now(), ...tokens };
    this.sessions.set(session.idHash, session);
    return { cookie, session };
  }

  find(cookie: string | undefined): ConsoleSession | null {
    if (!cookie || cookie.length > 100) return null;
    const idHash = sha256(cookie).toString('hex');
    const session = this.sessions.get(idHash);
    if (!session) return null;
    if (Date.now() - session.seenAt > IDLE_MS) {
      this.sessions.delete(idHash);
      return null;
    }
    session.seenAt = Date.now();
    return session;
  }

  delete(session: ConsoleSession): void {
    this.sessions.delete(session.idHash);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, s] of this.sessions) if (now - s.seenAt > IDLE_MS) this.sessions.delete(key);
    // Oldest first (insertion order): a flood of logins cannot grow the map without bound.
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
  }
}
