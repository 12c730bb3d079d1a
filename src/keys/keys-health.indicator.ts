import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { KeysService } from './keys.service';

/** Readiness: a current signing key is loaded, so tokens can be issued. */
@Injectable()
export class KeysHealthIndicator {
  constructor(
    private readonly keys: KeysService,
    private readonly indicator: HealthIndicatorService,
  ) {}

  check(key = 'signingKey') {
    const check = this.indicator.check(key);
    const current = this.keys.ring.current;
    return current ? check.up({ kid: current.kid }) : check.down({ message: 'no current signing key' });
  }
}
