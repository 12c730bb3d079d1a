import { Clock } from '../../src/common/clock';

/** A clock that only moves when told to. */
export class FakeClock extends Clock {
  private at: number;

  constructor(start = new Date('2026-01-01T00:00:00Z')) {
    super();
    this.at = start.getTime();
  }

  override now(): Date {
    return new Date(this.at);
  }

  advance(seconds: number): void {
    this.at += seconds * 1000;
  }
}
