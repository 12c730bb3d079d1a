import { Injectable } from '@nestjs/common';

/** The time source. Tests replace it to walk key lifecycles and token expiry without waiting. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }

  nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}
